{#- A whole list's cards as data for its filters (static/discover.js loads it with a <script>,
    which works from file:// too). Rows: [slug, title, excerpt, theme, status, tags, dumps]. -#}
window.sitegenCards && window.sitegenCards({{ data|tojson }});
