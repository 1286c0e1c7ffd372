// The leader's batch signature: the server prepares the drafts, the local agent (edoc-signer)
// signs the digests with the token after one PIN, the server embeds and validates the results.
// The PIN goes only to the agent on 127.0.0.1, never to the edoc server.
//
// Each draft is read in the page first (page images rendered by the server), and only a draft
// that was opened can be ticked. Every error is said in Vietnamese next to the button.
(function () {
  "use strict";
  const box = document.getElementById("signing");
  if (!box) return;
  const agent = box.dataset.agent;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const status = document.getElementById("agent-status");
  const select = document.getElementById("certificate");
  const pin = document.getElementById("pin");
  const button = document.getElementById("sign-button");
  const errorBox = document.getElementById("sign-error");
  const result = document.getElementById("sign-result");
  const titleWarning = document.getElementById("title-warning");
  const otp = document.getElementById("otp");
  const remoteSelect = document.getElementById("remote-credential");
  let certificates = [];
  let agentReady = false;

  // "Ký từ xa": the leader's key is in the agency HSM or at a provider, the batch authorised by
  // one code from the phone's authenticator app; no agent, no token on this machine.
  function remoteMode() {
    const chosen = document.querySelector('input[name="sign-mode"]:checked');
    return Boolean(chosen && chosen.value === "remote");
  }

  function showMode() {
    const remote = remoteMode();
    document.getElementById("remote-fields").hidden = !remote;
    document.getElementById("remote-enrol-hint").hidden = !remote;
    document.getElementById("token-fields").hidden = remote;
    document.getElementById("agent-missing").hidden = remote;
    status.hidden = remote;
    button.textContent = remote ? "Ký từ xa các văn bản đã chọn" : "Ký số các văn bản đã chọn";
    button.disabled = remote ? false : !agentReady;
    checkTitles();
  }

  // ---------------------------------------------------------------- messages

  // The agent's error codes (signing/AGENT.md, signing/errors.py), in the leader's words.
  const AGENT_MESSAGES = {
    pin_incorrect: "Mã PIN không đúng; chưa ký văn bản nào. Phần mềm ký số không tự thử lại: hãy nhập lại mã PIN (token sẽ bị khóa nếu nhập sai nhiều lần).",
    pin_required: "Cần nhập mã PIN của token.",
    pin_locked: "Token đã bị khóa vì nhập sai mã PIN quá số lần cho phép; liên hệ đơn vị cấp chứng thư số để mở khóa.",
    token_removed: "Token đã bị rút ra hoặc không phản hồi; cắm lại token rồi bấm ký lại.",
    token_not_found: "Không tìm thấy token trên máy này; cắm token rồi tải lại trang.",
    certificate_not_found: "Không tìm thấy chứng thư số đã chọn (hoặc khóa bí mật của nó) trên token; cắm đúng token rồi tải lại trang.",
    certificate_expired: "Chứng thư số đã chọn đã hết hạn; không dùng để ký được.",
    certificate_not_yet_valid: "Chứng thư số đã chọn chưa đến ngày có hiệu lực.",
    wrong_key_usage: "Chứng thư số đã chọn không dùng để ký văn bản (thiếu mục đích chống chối bỏ).",
    busy: "Phần mềm ký số đang ký một lô văn bản khác; chờ xong rồi bấm ký lại.",
    origin_not_allowed: `Phần mềm ký số chưa cho phép trang này: chạy lại edoc-signer với --allow-origin ${box.dataset.origin}.`,
    host_not_allowed: "Phần mềm ký số từ chối địa chỉ được gọi; kiểm tra cấu hình địa chỉ phần mềm ký số (127.0.0.1).",
    bad_request: "Phần mềm ký số không nhận yêu cầu ký (có thể khác phiên bản); hãy cập nhật edoc-signer.",
    not_found: "Phần mềm ký số không có chức năng ký này (có thể khác phiên bản); hãy cập nhật edoc-signer.",
    token_error: "Token báo lỗi khi ký; chưa ký văn bản nào. Rút ra cắm lại token rồi thử lại.",
    signing_error: "Phần mềm ký số báo lỗi khi ký; chưa ký văn bản nào. Thử lại, hoặc khởi động lại edoc-signer.",
  };
  const AGENT_UNREACHABLE = "Không kết nối được phần mềm ký số edoc-signer trên máy này; kiểm tra phần mềm còn chạy rồi thử lại.";
  // The server's answers carry a Vietnamese message already; these say more about what to do.
  const SERVER_MESSAGES = {
    csrf_failed: "Trang đã quá hạn; hãy tải lại trang rồi ký lại.",
    unauthorized: "Phiên đăng nhập đã hết; hãy đăng nhập lại rồi ký.",
    forbidden: "Tài khoản này không có quyền ký số văn bản.",
    internal_error: "Máy chủ edoc gặp lỗi; chưa ký văn bản nào. Vui lòng thử lại sau.",
  };
  const SERVER_UNREACHABLE = "Không kết nối được máy chủ edoc; kiểm tra mạng rồi thử lại.";

  class Refusal extends Error {
    constructor(message) { super(message); this.name = "Refusal"; }
  }

  function agentMessage(code) {
    return AGENT_MESSAGES[code] || AGENT_MESSAGES.signing_error;
  }

  function serverMessage(response, body) {
    const error = body && body.error;
    if (error && SERVER_MESSAGES[error.code]) return SERVER_MESSAGES[error.code];
    if (error && error.message) return error.message;  // the server's own Vietnamese words
    if (response.status === 401) return SERVER_MESSAGES.unauthorized;
    return `Máy chủ edoc từ chối yêu cầu (mã ${response.status}); chưa ký văn bản nào.`;
  }

  async function call(url, options, fromAgent) {
    let response;
    try {
      response = await fetch(url, options);
    } catch (networkError) {
      throw new Refusal(fromAgent ? AGENT_UNREACHABLE : SERVER_UNREACHABLE);
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const code = body.error && body.error.code;
      throw new Refusal(fromAgent ? agentMessage(code) : serverMessage(response, body));
    }
    return body;
  }

  function showError(lines) {
    errorBox.replaceChildren(...[].concat(lines).map((line) => {
      const p = document.createElement("p");
      p.textContent = line;
      return p;
    }));
  }

  // ---------------------------------------------------------------- titles

  // As edoc.outgoing.signing.fold_title: no case, no accents (đ → d), single spaces.
  function foldTitle(text) {
    return (text || "").replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/\./g, " ").trim().split(/\s+/).join(" ");
  }

  function chosenCertificate() {
    if (remoteMode()) {
      const option = remoteSelect.selectedOptions[0];
      return option ? { title: option.dataset.title } : undefined;
    }
    return certificates.find((c) => c.serial === select.value);
  }

  function checkTitles() {
    const cert = chosenCertificate();
    const certTitle = cert ? (cert.title || box.dataset.profileTitle || "") : "";
    const differing = [];
    for (const draft of box.querySelectorAll(".sign-draft")) {
      const warning = draft.querySelector(".sign-title-warning");
      const differs = Boolean(cert && certTitle && draft.dataset.titleKey
        && foldTitle(certTitle) !== draft.dataset.titleKey);
      warning.hidden = !differs;
      warning.textContent = differs
        ? `Chức danh trên chứng thư số (“${certTitle}”) khác chức danh ký trên văn bản (“${draft.dataset.title}”).`
        : "";
      if (differs) differing.push(draft);
    }
    titleWarning.hidden = differing.length === 0;
    if (differing.length) {
      const intro = document.createElement("p");
      const label = document.createElement("strong");
      label.textContent = "Lưu ý chức danh: ";
      const titles = [...new Set(differing.map((d) => `“${d.dataset.title}”`))].join(", ");
      intro.append(label, `chứng thư số đã chọn ghi chức danh “${certTitle}”, khác chức danh ${titles} `
        + `mà ${differing.length} văn bản được ký (xem dưới từng văn bản).`);
      const advice = document.createElement("p");
      advice.textContent = "Kiểm tra lại người ký, thẩm quyền ký (TM./KT./Q./TL./TUQ.) hoặc chọn đúng chứng thư trước khi ký.";
      titleWarning.replaceChildren(intro, advice);
    } else {
      titleWarning.replaceChildren();
    }
  }

  // ---------------------------------------------------------------- the viewer

  function pageWidth(viewer) {
    const css = viewer.querySelector(".sign-pages").clientWidth || viewer.clientWidth || 800;
    return Math.round(Math.min(css, 1200) * (window.devicePixelRatio || 1));
  }

  function fillViewer(viewer) {
    const pages = viewer.querySelector(".sign-pages");
    if (pages.childElementCount) return;
    const count = Number(viewer.dataset.pages) || 1;
    const width = pageWidth(viewer);
    for (let n = 1; n <= count; n += 1) {
      const figure = document.createElement("figure");
      const img = document.createElement("img");
      img.loading = "lazy";
      img.decoding = "async";
      img.alt = `Trang ${n}/${count}`;
      img.dataset.testid = "page-image";
      img.src = viewer.dataset.pageUrl.replace(/0\.png$/, `${n}.png`) + `?w=${width}&v=${viewer.dataset.version}`;
      img.addEventListener("error", async () => {
        const said = await fetch(img.src, { credentials: "same-origin" })
          .then((r) => r.json()).then((b) => b.error && b.error.message).catch(() => null);
        const message = document.createElement("p");
        message.className = "sign-page-error";
        message.setAttribute("role", "alert");
        message.textContent = said || `Không hiển thị được trang ${n}; hãy mở tệp PDF để đọc.`;
        img.replaceWith(message);
      }, { once: true });
      const caption = document.createElement("figcaption");
      caption.textContent = `Trang ${n}/${count}`;
      figure.append(img, caption);
      pages.append(figure);
    }
  }

  function openViewer(draft, scroll) {
    const viewer = draft.querySelector(".sign-viewer");
    const toggle = draft.querySelector(".read-button");
    viewer.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    toggle.textContent = "Thu gọn";
    fillViewer(viewer);
    const tick = draft.querySelector('input[name="document_ids"]');
    tick.disabled = false;
    draft.classList.add("is-read");
    draft.querySelector(".sign-hint").textContent = "Đã mở đọc: đánh dấu ô bên trên nếu đồng ý ký.";
    if (scroll) draft.scrollIntoView({ block: "start" });
  }

  function closeViewer(draft) {
    const toggle = draft.querySelector(".read-button");
    draft.querySelector(".sign-viewer").hidden = true;
    toggle.setAttribute("aria-expanded", "false");
    toggle.textContent = "Đọc dự thảo";
  }

  function bindDrafts() {
    for (const draft of box.querySelectorAll(".sign-draft")) {
      draft.querySelector(".read-button").addEventListener("click", () => {
        if (draft.querySelector(".sign-viewer").hidden) openViewer(draft, false);
        else closeViewer(draft);
      });
      draft.querySelector(".close-button").addEventListener("click", () => {
        closeViewer(draft);
        draft.scrollIntoView({ block: "nearest" });
      });
    }
    const wanted = box.dataset.open && box.querySelector(`.sign-draft[data-document-id="${box.dataset.open}"]`);
    if (wanted) openViewer(wanted, true);
  }

  // ---------------------------------------------------------------- the agent

  async function connect() {
    try {
      const data = await call(`${agent}/v1/tokens`, { mode: "cors" }, true);
      const now = new Date();
      const usable = (c) => c.has_key && c.key_usage.includes("non_repudiation")
        && new Date(c.not_before) <= now && now <= new Date(c.not_after);
      certificates = data.tokens.flatMap((token) =>
        token.certificates.filter(usable).map((c) => ({ token: token.label, ...c })));
      status.textContent = `Đã kết nối phần mềm ký số: ${certificates.length} chứng thư dùng được.`;
      agentReady = true;
      for (const cert of certificates) {
        const option = document.createElement("option");
        option.value = cert.serial;
        const until = cert.not_after.slice(0, 10).split("-").reverse().join("/");
        option.textContent = `${cert.common_name} — ${cert.title || ""} (${cert.token}, hết hạn ${until})`;
        select.append(option);
      }
      select.disabled = certificates.length === 0;
      if (!remoteMode()) button.disabled = false;
      if (!certificates.length) {
        showError("Không có chứng thư số nào dùng để ký được trên token (hết hạn, chưa có hiệu lực hoặc không dùng để ký).");
      }
      checkTitles();
    } catch (error) {
      status.textContent = "Không kết nối được phần mềm ký số.";
      document.getElementById("agent-missing").classList.remove("hidden");
    }
  }

  // ---------------------------------------------------------------- signing

  function ticked() {
    return [...box.querySelectorAll('input[name="document_ids"]:checked')].map((i) => Number(i.value));
  }

  // The version each ticked draft's viewer showed: the server refuses a draft revised since.
  function readVersions(ids) {
    return Object.fromEntries(ids.map((id) => [String(id),
      box.querySelector(`.sign-draft[data-document-id="${id}"] .sign-viewer`).dataset.version]));
  }

  function checkBeforeSending(ids, cert) {
    if (!agentReady) return AGENT_UNREACHABLE;
    if (!ids.length) return "Chưa chọn văn bản nào: bấm “Đọc dự thảo”, đọc rồi đánh dấu văn bản sẽ ký.";
    if (!cert) return "Chưa chọn chứng thư số để ký.";
    if (!pin.value) return "Cần nhập mã PIN của token trước khi ký.";
    return "";
  }

  async function refreshList() {
    const response = await fetch(window.location.pathname, { credentials: "same-origin" });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("drafts");
    if (!fresh) return;
    document.getElementById("drafts").replaceWith(document.importNode(fresh, true));
    document.getElementById("sign-form").hidden = !box.querySelector(".sign-draft");
    bindDrafts();
    checkTitles();
  }

  function tellSigned(signedIds, subjects) {
    result.replaceChildren();
    const head = document.createElement("p");
    head.textContent = `Đã ký ${signedIds.length} văn bản.`;
    result.append(head);
    if (!signedIds.length) return;
    const list = document.createElement("ul");
    list.dataset.testid = "signed-list";
    for (const id of signedIds) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = subjects[id].detail;
      link.textContent = subjects[id].subject;
      item.append(link, " — đã ký, chờ văn thư cấp số và phát hành");
      list.append(item);
    }
    result.append(list);
  }

  // What the result list says of each ticked draft (read before the list is refreshed).
  function subjectsOf(ids) {
    const subjects = {};
    for (const id of ids) {
      const draft = box.querySelector(`.sign-draft[data-document-id="${id}"]`);
      subjects[id] = { subject: draft.dataset.subject, detail: draft.dataset.detail };
    }
    return subjects;
  }

  // The sign button is held while a signing is under way, so one click signs once.
  function setBusy(busy) {
    button.disabled = busy;
    if (busy) button.setAttribute("aria-busy", "true");
    else button.removeAttribute("aria-busy");
  }

  async function sign() {
    const ids = ticked();
    const cert = certificates.find((c) => c.serial === select.value);
    showError([]);
    const problem = checkBeforeSending(ids, cert);
    if (problem) {
      showError(problem);
      if (problem.includes("PIN")) pin.focus();
      return;
    }
    const subjects = subjectsOf(ids);
    setBusy(true);
    result.textContent = "Đang chuẩn bị văn bản…";
    try {
      const prepared = await call(box.dataset.prepare, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ document_ids: ids, versions: readVersions(ids), certificate: cert.der }),
      }, false);
      const documentOf = Object.fromEntries(prepared.items.map((i) => [i.id, i.document_id]));
      result.textContent = "Đang ký trên token…";
      const typed = pin.value;
      pin.value = "";
      const signed = await call(`${agent}/v1/sign`, {
        method: "POST", mode: "cors", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          certificate: { serial: cert.serial, token_label: cert.token },
          items: prepared.items.map((i) => ({ id: i.id, digest: i.digest, digest_algorithm: i.digest_algorithm })),
          pin: typed,
        }),
      }, true);
      result.textContent = "Đang gắn chữ ký vào văn bản…";
      const finished = await call(box.dataset.finish, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ signatures: signed.signatures }),
      }, false);
      tellSigned(finished.signed, subjects);
      const problems = Object.entries(finished.failed).map(([, message]) => message);
      const notSigned = signed.not_signed.map((id) => subjects[documentOf[id]]);
      if (notSigned.length) {
        problems.push(`Chưa ký ${notSigned.length} văn bản: ${notSigned.map((s) => s && s.subject).join("; ")}.`);
      }
      if (signed.error) problems.push(agentMessage(signed.error.code));
      showError(problems);
      await refreshList();
    } catch (error) {
      result.textContent = "";
      showError(error instanceof Refusal ? error.message
        : "Không ký được do lỗi trên trang; hãy tải lại trang rồi ký lại.");
      if (error.message.includes("PIN")) pin.focus();
    } finally {
      setBusy(false);
    }
  }

  async function signRemotely() {
    const ids = ticked();
    showError([]);
    if (!ids.length) {
      showError("Chưa chọn văn bản nào: bấm “Đọc dự thảo”, đọc rồi đánh dấu văn bản sẽ ký.");
      return;
    }
    const option = remoteSelect.selectedOptions[0];
    if (!option || option.disabled) {
      showError("Chưa có khóa ký từ xa dùng được: đăng ký ứng dụng xác thực trước (liên kết bên dưới).");
      return;
    }
    const code = otp.value.replace(/\s/g, "");
    if (!/^\d{6,8}$/.test(code)) {
      showError("Nhập mã OTP 6 chữ số đang hiện trên ứng dụng xác thực của điện thoại.");
      otp.focus();
      return;
    }
    const subjects = subjectsOf(ids);
    setBusy(true);
    result.textContent = `Đang ký từ xa ${ids.length} văn bản…`;
    otp.value = "";
    try {
      const finished = await call(box.dataset.remote, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({
          document_ids: ids, versions: readVersions(ids), credential: Number(option.value), otp: code,
        }),
      }, false);
      tellSigned(finished.signed, subjects);
      showError(Object.values(finished.failed));
      await refreshList();
    } catch (error) {
      result.textContent = "";
      showError(error instanceof Refusal ? error.message
        : "Không ký được do lỗi trên trang; hãy tải lại trang rồi ký lại.");
      otp.focus();
    } finally {
      setBusy(false);
    }
  }

  button.addEventListener("click", () => (remoteMode() ? signRemotely() : sign()));
  for (const radio of document.querySelectorAll('input[name="sign-mode"]')) {
    radio.addEventListener("change", showMode);
  }
  if (remoteSelect) remoteSelect.addEventListener("change", checkTitles);
  if (otp) otp.addEventListener("keydown", (event) => { if (event.key === "Enter") signRemotely(); });
  select.addEventListener("change", checkTitles);
  pin.addEventListener("keydown", (event) => { if (event.key === "Enter") sign(); });
  bindDrafts();
  connect();
})();
