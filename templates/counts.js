{#- Papers per theme, by theme URL, for every page's sidebar (static/site.js). -#}
window.sitegenCounts && window.sitegenCounts({{ counts|tojson }});
