// Staff pages of the channels out: copy the digest (with its formatting, for the 公众号
// editor) or a text box. Loaded as a file (the CSP allows no inline script); without it the
// text can still be selected and copied by hand.
(function () {
  "use strict";

  function report(button, message) {
    var status = button.parentNode.querySelector(".copy-status");
    if (status) status.textContent = message;
  }

  function copySelection(element) {
    var selection = window.getSelection();
    var range = document.createRange();
    range.selectNodeContents(element);
    selection.removeAllRanges();
    selection.addRange(range);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    selection.removeAllRanges();
    return ok;
  }

  function copyRich(button) {
    var element = document.getElementById(button.getAttribute("data-copy-rich"));
    if (!element) return;
    var html = element.innerHTML;
    var text = element.innerText;
    if (navigator.clipboard && window.ClipboardItem && window.isSecureContext) {
      var item = new ClipboardItem({
        "text/html": new Blob([html], { type: "text/html" }),
        "text/plain": new Blob([text], { type: "text/plain" })
      });
      navigator.clipboard.write([item]).then(
        function () { report(button, "已复制，可粘贴到公众号编辑器"); },
        function () { report(button, copySelection(element) ? "已复制" : "复制失败，请手动选中后复制"); });
      return;
    }
    report(button, copySelection(element) ? "已复制，可粘贴到公众号编辑器" : "复制失败，请手动选中后复制");
  }

  function copyText(button) {
    var box = document.getElementById(button.getAttribute("data-copy-text"));
    if (!box) return;
    var details = box.closest("details");
    if (details) details.open = true;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(box.value).then(
        function () { report(button, "已复制"); },
        function () { box.select(); report(button, document.execCommand("copy") ? "已复制" : "复制失败"); });
      return;
    }
    box.select();
    report(button, document.execCommand("copy") ? "已复制" : "复制失败，请手动复制");
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-rich], [data-copy-text]");
    if (!button) return;
    if (button.hasAttribute("data-copy-rich")) copyRich(button); else copyText(button);
  });
})();
