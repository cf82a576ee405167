// Upload progress for forms marked data-upload-progress: the bar follows the upload (htmx reports the
// XHR's progress); once the file is sent, the text says the rows are being checked.
(function () {
  function formOf(event) {
    var elt = event.detail && event.detail.elt;
    return elt && elt.closest ? elt.closest("form[data-upload-progress]") : null;
  }
  document.addEventListener("htmx:xhr:loadstart", function (event) {
    var form = formOf(event);
    if (!form) return;
    var box = form.querySelector(".progress");
    box.hidden = false;
    box.querySelector("progress").value = 0;
    box.querySelector("p").textContent = "Mengunggah… 0%";
  });
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = formOf(event);
    if (!form || !event.detail.lengthComputable) return;
    var percent = Math.round((event.detail.loaded / event.detail.total) * 100);
    var box = form.querySelector(".progress");
    box.querySelector("progress").value = percent;
    box.querySelector("p").textContent =
      percent < 100 ? "Mengunggah… " + percent + "%" : "Berkas terkirim. Memeriksa setiap baris…";
  });
})();
