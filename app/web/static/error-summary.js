// Move focus to a form's error summary when the page opens with one, so a person (and a screen reader) lands on
// what went wrong instead of the top of the page. The summary also carries autofocus for browsers that honour it.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-error-summary]");
  if (summary instanceof HTMLElement) {
    summary.focus();
  }
});
