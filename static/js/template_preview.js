// Live preview of an email template while it is edited (templates/campaigns/template_edit.html).
// A static file, not an inline script: the Content-Security-Policy allows scripts from 'self' only.
(function () {
  var form = document.getElementById("template-form");
  if (!form) { return; }
  var previewUrl = form.getAttribute("data-preview-url");
  var frame = document.querySelector("[data-testid=preview]");
  var subject = document.querySelector("[data-testid=preview-subject]");
  var errors = document.querySelector("[data-testid=preview-errors]");
  var timer = null;
  function refresh() {
    var body = new FormData(form);
    fetch(previewUrl, {method: "POST", body: body, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.errors) {
          errors.textContent = Object.values(data.errors).map(function (e) { return e[0]; }).join(" ");
          return;
        }
        errors.textContent = "";
        subject.textContent = data.subject;
        frame.srcdoc = data.html || ("<pre>" + data.text.replace(/</g, "&lt;") + "</pre>");
      });
  }
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 300); });
  refresh();
})();
