{#- Papers per theme, by theme URL, for every page's sidebar (static/site.js), and the themes
    in sidebar order ([url, title]), from which a lean page's sidebar is made. -#}
window.sitegenCounts && window.sitegenCounts({{ counts|tojson }}, {{ themes|tojson }});
