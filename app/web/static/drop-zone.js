// The verification page's drop zone (a static file: the CSP allows no inline script). Dropping a file on the
// zone puts it in the form's file input and sends the form; without JavaScript the file input and its submit
// button do the same by hand.
(function () {
  document.querySelectorAll("[data-drop-zone]").forEach(function (zone) {
    var input = zone.querySelector("input[type=file]"), form = zone.closest("form");
    if (!input || !form) { return; }
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "dragend"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("dragging");
      if (!event.dataTransfer || !event.dataTransfer.files.length) { return; }
      input.files = event.dataTransfer.files;
      zone.classList.add("sending");
      form.requestSubmit ? form.requestSubmit() : form.submit();
    });
    input.addEventListener("change", function () {
      var title = zone.querySelector(".drop-zone-title");
      if (title && input.files.length) { title.textContent = input.files[0].name; }
    });
  });
})();
