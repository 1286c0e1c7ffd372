// The leader's batch signature: the server prepares the drafts, the local agent (edoc-signer)
// signs the digests with the token after one PIN, the server embeds and validates the results.
// The PIN goes only to the agent on 127.0.0.1, never to the edoc server.
(function () {
  "use strict";
  const box = document.getElementById("signing");
  if (!box) return;
  const agent = box.dataset.agent;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const status = document.getElementById("agent-status");
  const select = document.getElementById("certificate");
  const button = document.getElementById("sign-button");
  const result = document.getElementById("sign-result");
  let certificates = [];

  async function json(url, options) {
    const response = await fetch(url, options);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((body.error && body.error.message) || response.statusText);
    return body;
  }

  async function connect() {
    try {
      const data = await json(`${agent}/v1/tokens`, { mode: "cors" });
      const now = new Date();
      const usable = (c) => c.has_key && c.key_usage.includes("non_repudiation")
        && new Date(c.not_before) <= now && now <= new Date(c.not_after);
      certificates = data.tokens.flatMap((token) =>
        token.certificates.filter(usable).map((c) => ({ token: token.label, ...c })));
      status.textContent = `Đã kết nối phần mềm ký số: ${certificates.length} chứng thư dùng được.`;
      if (!select) return;
      for (const cert of certificates) {
        const option = document.createElement("option");
        option.value = cert.serial;
        option.textContent = `${cert.common_name} — ${cert.title || ""} (${cert.token}, hết hạn ${cert.not_after.slice(0, 10)})`;
        select.append(option);
      }
      select.disabled = button.disabled = certificates.length === 0;
    } catch (error) {
      status.textContent = "Không kết nối được phần mềm ký số.";
      document.getElementById("agent-missing").classList.remove("hidden");
    }
  }

  async function sign() {
    const ids = [...box.querySelectorAll('input[name="document_ids"]:checked')].map((i) => Number(i.value));
    const cert = certificates.find((c) => c.serial === select.value);
    if (!ids.length || !cert) return;
    button.disabled = true;
    result.textContent = "Đang chuẩn bị văn bản…";
    try {
      const prepared = await json(box.dataset.prepare, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ document_ids: ids, certificate: cert.der }),
      });
      result.textContent = "Đang ký trên token…";
      const signed = await json(`${agent}/v1/sign`, {
        method: "POST", mode: "cors", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          certificate: { serial: cert.serial, token_label: cert.token },
          items: prepared.items.map((i) => ({ id: i.id, digest: i.digest, digest_algorithm: i.digest_algorithm })),
          pin: document.getElementById("pin").value,
        }),
      });
      document.getElementById("pin").value = "";
      const finished = await json(box.dataset.finish, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ signatures: signed.signatures }),
      });
      const failed = Object.keys(finished.failed).length + signed.not_signed.length;
      result.textContent = `Đã ký ${finished.signed.length} văn bản` + (failed ? `, ${failed} văn bản chưa ký được.` : ".");
      if (signed.error) result.textContent += ` ${signed.error.message}`;
      setTimeout(() => window.location.reload(), 1500);
    } catch (error) {
      result.textContent = `Không ký được: ${error.message}`;
      button.disabled = false;
    }
  }

  if (button) button.addEventListener("click", sign);
  connect();
})();
