// The administration page's "Copy link" button for a new invitation link (a static file: the CSP allows no
// inline script). Without the clipboard API the button stays hidden and the link is copied by hand.
(function () {
  var button = document.getElementById("copy-link"), field = document.getElementById("invitation-link");
  if (!button || !field || !navigator.clipboard) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(function () { button.textContent = "Copied"; });
  });
})();
