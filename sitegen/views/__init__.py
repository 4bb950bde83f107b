"""Views: what each page of the site shows, as plain frozen data for the templates.

- context.py: the template-context dataclasses (the template reference);
- listing.py: what pages share: the Site (cards and sidebars made once), the
  common keys, pagers and filters;
- pages.py: one function per page kind and the route table;
- map.py: the map page.
"""
