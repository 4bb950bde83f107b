/* Runs in <head>, before first paint: apply the colour theme and list density the reader chose. */
(function () {
  var root = document.documentElement;
  root.classList.add("js");
  try {
    var saved = localStorage.getItem("sitegen-theme");
    if (saved === "light" || saved === "dark") root.setAttribute("data-theme", saved);
    if (localStorage.getItem("sitegen-density") === "compact") root.setAttribute("data-density", "compact");
  } catch (e) { /* storage may be disabled; follow the system setting */ }
})();
