/* The top bar's menu on phones: under 700 px the main menu and the account links fold behind a "Menu" button
 * (static/css/app.css). The <html> element is marked "js" so that only a browser running this file folds them:
 * without JavaScript everything stays visible. The header comes anew with each boosted page, closed; the listeners
 * sit on the document, so they need no setting up again after a swap.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function setOpen(button, open) {
    button.closest(".topbar").classList.toggle("menu-open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".menu-toggle");
    if (button) setOpen(button, button.getAttribute("aria-expanded") !== "true");
  });

  // Escape closes an open menu and gives the focus back to its button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var button = document.querySelector(".menu-toggle[aria-expanded='true']");
    if (!button) return;
    setOpen(button, false);
    button.focus();
  });
})();
