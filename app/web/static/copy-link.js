// The administration page's "Copy link" button for a new invitation link (a static file: the CSP allows no
// inline script). Without the clipboard API the button stays hidden and the link is copied by hand.
(function () {
  // Copy buttons of shortened hashes (templates/_hash.html); the script may be included once per hash.
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (copy) {
    if (!navigator.clipboard || copy.dataset.ready) { return; }
    copy.dataset.ready = "1";
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(copy.dataset.copy).then(function () { copy.textContent = "Copied"; });
    });
  });
  var button = document.getElementById("copy-link"), field = document.getElementById("invitation-link");
  if (!button || !field || !navigator.clipboard) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(function () { button.textContent = "Copied"; });
  });
})();
