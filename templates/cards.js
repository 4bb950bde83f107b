{#- A whole list's cards as data for its filters (static/discover.js loads it with a <script>,
    which works from file:// too). Rows: [slug, title, excerpt, theme, status, tags, dumps],
    the slug "" where static/site.js's copy of slugify makes it from the title. -#}
window.sitegenCards && window.sitegenCards({{ data|tojson }});
