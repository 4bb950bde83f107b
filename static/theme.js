/* Runs in <head>, before first paint: apply the colour theme the reader chose, if any. */
(function () {
  var root = document.documentElement;
  root.classList.add("js");
  try {
    var saved = localStorage.getItem("sitegen-theme");
    if (saved === "light" || saved === "dark") root.setAttribute("data-theme", saved);
  } catch (e) { /* storage may be disabled; follow the system setting */ }
})();
