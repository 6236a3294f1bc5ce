// Print views: a button with data-print opens the browser's print dialog.
document.addEventListener("click", function (e) {
  if (e.target.closest("[data-print]")) { window.print(); }
});
