// Reads the chosen file on the server (signature check, first-page text) and pre-fills the form,
// so the clerk confirms instead of typing. Without JavaScript the form still works: the file is
// then checked when the form is submitted.
(function () {
  "use strict";
  const form = document.getElementById("incoming-form");
  if (!form) return;
  const fileInput = document.getElementById("file");
  const status = document.getElementById("analyse-status");
  const token = document.getElementById("upload_token");
  const report = document.getElementById("signature-report");
  const badSignature = document.getElementById("bad-signature");
  const senderMatch = document.getElementById("sender-match");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;

  function via() {
    const checked = form.querySelector('input[name="received_via"]:checked');
    return checked ? checked.value : "electronic";
  }

  function fill(name, value) {
    const field = form.elements[name];
    if (field && value !== undefined && value !== null && value !== "" && !field.value) {
      field.value = value;
    }
  }

  function showReport(data) {
    report.replaceChildren();
    if (!data) { report.classList.add("hidden"); return; }
    const verdict = document.createElement("p");
    verdict.dataset.testid = "signature-verdict";
    const ok = data.verdict === "ok";
    verdict.className = "verdict verdict-" + data.verdict;
    const electronic = via() === "electronic";
    const unsigned = data.verdict === "no_signatures";
    verdict.textContent = ok ? "✔ Tất cả chữ ký số hợp lệ, toàn vẹn và tin cậy."
      : unsigned && !electronic ? "Tệp không có chữ ký số (bản quét giấy)."
      : unsigned ? "⚠ Văn bản điện tử KHÔNG có chữ ký số: chọn bên dưới giữ lại, trả lại nơi gửi hay vẫn vào sổ."
      : "✘ Chữ ký số KHÔNG hợp lệ hoặc không tin cậy: chọn bên dưới giữ lại, trả lại nơi gửi hay vẫn vào sổ.";
    if (!ok && electronic) {
      verdict.setAttribute("role", "alert");
      badSignature.hidden = false;
      const reason = form.elements["return_reason"];
      if (!reason.value) {
        reason.value = unsigned ? "Văn bản điện tử không có chữ ký số."
          : "Chữ ký số của văn bản không hợp lệ hoặc không tin cậy.";
      }
    } else {
      badSignature.hidden = true;
    }
    report.append(verdict);
    for (const sig of data.signatures || []) {
      const line = document.createElement("p");
      line.textContent = `${sig.signer_name || sig.field_name}: toàn vẹn ${sig.intact ? "có" : "không"}, ` +
        `hợp lệ ${sig.valid ? "có" : "không"}, tin cậy ${sig.trusted ? "có" : "không"}`;
      report.append(line);
    }
    report.classList.remove("hidden");
  }

  fileInput.addEventListener("change", async () => {
    token.value = "";
    if (!fileInput.files.length) return;
    const body = new FormData();
    body.append("received_via", via());
    for (const file of fileInput.files) body.append("file", file);
    status.textContent = "Đang kiểm tra tệp…";
    try {
      const response = await fetch(form.dataset.analyseUrl, {
        method: "POST", body, headers: { "X-CSRFToken": csrf }, credentials: "same-origin",
      });
      const data = await response.json();
      if (!response.ok) {
        status.textContent = data.error ? data.error.message : "Không kiểm tra được tệp.";
        status.className = "field-error";
        return;
      }
      token.value = data.upload_token;
      const p = data.prefill || {};
      fill("sender_org", p.sender_org);
      senderMatch.textContent = p.sender_code
        ? `Khớp danh bạ cơ quan: mã ${p.sender_code}`
        : p.sender_org ? "Chưa có trong danh bạ cơ quan: kiểm tra lại tên." : "";
      fill("number_notation", p.number_notation);
      fill("subject", p.subject);
      fill("signer_name", p.signer_name);
      fill("page_count", p.page_count);
      fill("issued_date", p.issued_date); // a date input takes ISO and shows it dd/mm/yyyy
      if (p.doc_type) form.elements["doc_type"].value = p.doc_type;
      status.className = "";
      status.textContent = `Đã kiểm tra: ${data.filename}` + (data.page_count ? `, ${data.page_count} trang` : "");
      showReport(data.signature_report);
    } catch (error) {
      status.textContent = "Không kết nối được máy chủ để kiểm tra tệp.";
    }
  });

  form.addEventListener("submit", () => {
    if (token.value) fileInput.disabled = true; // already stored: do not upload it twice
  });
})();
