/*
 * Hospital FAQ chat widget (医院智能问答). Self-contained: no libraries, no CDN.
 *
 * Embed on any page:
 *   <script src="https://BOT-SERVER/webhooks/web/widget.js" data-server="https://BOT-SERVER" defer></script>
 *
 * Attributes of the <script> tag (all optional):
 *   data-server      root URL of the Rasa server (default: where widget.js was loaded from)
 *   data-title       header title (default 医院智能问答)
 *   data-open        "true" to open the chat panel when the page loads
 *   data-max-length  longest message accepted, in characters (default 1000, as on the server)
 *
 * Talks to POST {server}/webhooks/web/webhook {"sender","message"} -> {"messages":[{"text","custom"}]}.
 * custom.strategy drives the look: "clarify" adds 是/不是 buttons, "emergency" is highlighted,
 * custom.items are shown as a list. The sender id and the transcript live in localStorage,
 * so a reload keeps the conversation. Everything from the server is inserted as text, never HTML.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) {
    window.console && console.error("hospital chat widget: load widget.js with a plain <script src> tag");
    return;
  }
  if (window.__hospitalChatWidget) return;  // included twice: keep the first
  window.__hospitalChatWidget = true;

  var CHANNEL_PATH = "/webhooks/web";
  var server = (script.getAttribute("data-server") ||
    script.src.replace(/\/webhooks\/web\/widget\.js(\?.*)?$/, "")).replace(/\/+$/, "");
  var base = server + CHANNEL_PATH;
  var title = script.getAttribute("data-title") || "医院智能问答";
  var maxLength = parseInt(script.getAttribute("data-max-length"), 10) || 1000;
  var MAX_TRANSCRIPT = 200;
  var REQUEST_TIMEOUT_MS = 30000;
  var KEY = "hospital-chat:" + server + ":";
  var TEXT = {
    greeting: "您好，我是医院智能问答助手。可以问我疾病的症状、病因、治疗、就诊科室等问题。",
    disclaimer: "回答仅供参考，不能替代医生诊断",
    placeholder: "请输入您的问题…",
    send: "发送",
    yes: "是",
    no: "不是",
    unreachable: "无法连接到问答服务器，请检查网络后重试。如遇紧急情况，请立即拨打 120。",
    serverError: "问答服务暂时出现问题，请稍后重试。如遇紧急情况，请立即拨打 120。",
    noReply: "没有收到回答，请换个说法再试一次。",
    tooLong: "消息太长，请精简到 {n} 字以内。",
    retry: "重试",
    failed: "未发送",
    emergency: "紧急提示",
    reset: "新对话",
    open: "在线咨询",
    close: "关闭"
  };

  /* ---- storage: sender id and transcript survive a reload ------------------------------ */

  function load(name, fallback) {
    try {
      var raw = window.localStorage.getItem(KEY + name);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) {
      return fallback;
    }
  }

  function save(name, value) {
    try {
      window.localStorage.setItem(KEY + name, JSON.stringify(value));
    } catch (e) { /* storage full or disabled: the chat still works, without history */ }
  }

  /* The sender id names this conversation on the server: 128 random bits, so nobody can
     reach it by guessing. The server refuses ids shorter than 16 characters. */
  var SENDER_ID = /^web-[0-9a-f]{32}$/;

  function newSenderId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var hex = "";
    for (var i = 0; i < bytes.length; i++) hex += (bytes[i] + 256).toString(16).slice(1);
    return "web-" + hex;
  }

  var stored = load("sender", null);
  var senderId = typeof stored === "string" && SENDER_ID.test(stored) ? stored : newSenderId();
  save("sender", senderId);
  var transcript = load("transcript", []);
  if (!Array.isArray(transcript)) transcript = [];
  var busy = false;

  /* ---- DOM helpers (text only: server content never becomes HTML) ------------------------ */

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function itemLabel(item) {
    if (item === null || item === undefined) return "";
    if (typeof item !== "object") return String(item);
    return item.name || item.title || item.text || JSON.stringify(item);
  }

  /* ---- build the widget inside a shadow root, so the host page's CSS cannot reach it -------- */

  var host = el("div");
  host.id = "hospital-chat-widget";
  host.style.visibility = "hidden";
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var styles = el("link");
  styles.rel = "stylesheet";
  styles.href = base + "/widget.css";
  styles.onload = styles.onerror = function () { host.style.visibility = ""; };
  root.appendChild(styles);

  var launcher = el("button", "launcher", TEXT.open);
  launcher.type = "button";
  launcher.setAttribute("aria-label", TEXT.open);

  var panel = el("section", "panel");
  panel.setAttribute("aria-label", title);
  panel.hidden = true;

  var header = el("header", "header");
  header.appendChild(el("h2", "title", title));
  var resetButton = el("button", "header-button reset", TEXT.reset);
  resetButton.type = "button";
  var closeButton = el("button", "header-button close", "×");
  closeButton.type = "button";
  closeButton.setAttribute("aria-label", TEXT.close);
  header.appendChild(resetButton);
  header.appendChild(closeButton);

  var log = el("div", "messages");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");

  var notice = el("div", "notice");
  notice.setAttribute("role", "alert");
  notice.hidden = true;

  var form = el("form", "composer");
  var input = el("textarea", "input");
  input.rows = 1;
  input.placeholder = TEXT.placeholder;
  input.maxLength = maxLength;
  input.setAttribute("aria-label", TEXT.placeholder);
  var sendButton = el("button", "send", TEXT.send);
  sendButton.type = "submit";
  form.appendChild(input);
  form.appendChild(sendButton);

  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(notice);
  panel.appendChild(form);
  panel.appendChild(el("p", "disclaimer", TEXT.disclaimer));
  root.appendChild(launcher);
  root.appendChild(panel);

  /* ---- rendering --------------------------------------------------------------------------- */

  // The answer text usually names the items inline ("症状有：发热、咳嗽。"); when it does,
  // that run is replaced by the list so nothing is shown twice.
  function renderBotBody(bubble, text, items) {
    var labels = (items || []).map(itemLabel).filter(Boolean);
    if (!labels.length) {
      bubble.appendChild(el("div", "text", text));
      return;
    }
    var joined = labels.join("、");
    var at = text.indexOf(joined);
    var before = at >= 0 ? text.slice(0, at) : text;
    var after = at >= 0 ? text.slice(at + joined.length).replace(/^[。．.；;，,\s]+/, "") : "";
    if (before.trim()) bubble.appendChild(el("div", "text", before.trim()));
    var list = el("ul", "items");
    labels.forEach(function (label) { list.appendChild(el("li", null, label)); });
    bubble.appendChild(list);
    if (after.trim()) bubble.appendChild(el("div", "text", after.trim()));
  }

  function renderEntry(entry) {
    var custom = entry.custom || {};
    var row = el("div", "row " + entry.from);
    var bubble = el("div", "bubble");
    if (entry.from === "bot") {
      row.setAttribute("data-strategy", custom.strategy || "");
      if (custom.strategy === "emergency") {
        row.classList.add("emergency");
        bubble.setAttribute("role", "alert");
        bubble.appendChild(el("div", "emergency-label", "⚠ " + TEXT.emergency));
      }
      renderBotBody(bubble, entry.text || "", custom.items);
    } else {
      bubble.appendChild(el("div", "text", entry.text));
      if (entry.failed) {
        row.classList.add("failed");
        bubble.appendChild(el("div", "status", TEXT.failed));
      }
    }
    row.appendChild(bubble);
    return row;
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  // Quick replies belong to the newest message only, and only while nothing is pending.
  function renderQuickReplies() {
    var old = log.querySelector(".quick-replies");
    if (old) old.remove();
    var last = transcript[transcript.length - 1];
    if (busy || !last || last.from !== "bot" || !last.custom || last.custom.strategy !== "clarify") return;
    var bar = el("div", "quick-replies");
    [TEXT.yes, TEXT.no].forEach(function (label) {
      var button = el("button", "quick-reply", label);
      button.type = "button";
      button.addEventListener("click", function () { send(label); });
      bar.appendChild(button);
    });
    log.appendChild(bar);
  }

  function renderAll() {
    log.textContent = "";
    log.appendChild(renderEntry({ from: "bot", text: TEXT.greeting, custom: { strategy: "greeting" } }));
    transcript.forEach(function (entry) { log.appendChild(renderEntry(entry)); });
    renderQuickReplies();
    scrollDown();
  }

  var typing = el("div", "row bot typing");
  typing.setAttribute("aria-label", "正在输入");
  var dots = el("div", "bubble");
  for (var i = 0; i < 3; i++) dots.appendChild(el("span", "dot"));
  typing.appendChild(dots);

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    if (value) {
      log.appendChild(typing);
    } else if (typing.parentNode) {
      typing.parentNode.removeChild(typing);
    }
    renderQuickReplies();
    scrollDown();
  }

  function showNotice(message, retryEntry) {
    notice.textContent = "";
    notice.appendChild(el("span", "notice-text", message));
    if (retryEntry) {
      var retry = el("button", "retry", TEXT.retry);
      retry.type = "button";
      retry.addEventListener("click", function () { deliver(retryEntry); });
      notice.appendChild(retry);
    }
    notice.hidden = false;
  }

  function hideNotice() {
    notice.hidden = true;
    notice.textContent = "";
  }

  /* ---- talking to the server ----------------------------------------------------------------- */

  function remember(entry) {
    transcript.push(entry);
    if (transcript.length > MAX_TRANSCRIPT) transcript = transcript.slice(-MAX_TRANSCRIPT);
    save("transcript", transcript);
  }

  function post(message) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller && setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    return fetch(base + "/webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: senderId, message: message }),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (timer) clearTimeout(timer);
        return { status: response.status, body: body };
      });
    }, function (error) {
      if (timer) clearTimeout(timer);
      throw error;
    });
  }

  // Send one (already remembered) user entry; on failure mark it and offer a retry.
  function deliver(entry) {
    if (busy) return;
    hideNotice();
    entry.failed = false;
    save("transcript", transcript);
    renderAll();
    setBusy(true);
    post(entry.text).then(function (result) {
      setBusy(false);
      if (result.status === 200 && result.body && Array.isArray(result.body.messages)) {
        result.body.messages.forEach(function (m) {
          remember({ from: "bot", text: m.text || "", custom: m.custom || null });
        });
        renderAll();
        // Rasa answers nothing when an action failed: say so rather than leave silence.
        if (!result.body.messages.length) showNotice(TEXT.noReply, null);
        return;
      }
      entry.failed = true;
      save("transcript", transcript);
      renderAll();
      if (result.status === 413) {
        var limit = (result.body.error && result.body.error.max_length) || maxLength;
        showNotice(TEXT.tooLong.replace("{n}", limit), null);
      } else {
        showNotice(TEXT.serverError, entry);
      }
    }, function () {
      setBusy(false);
      entry.failed = true;
      save("transcript", transcript);
      renderAll();
      showNotice(TEXT.unreachable, entry);
    });
  }

  function send(text) {
    text = (text || "").trim();
    if (!text || busy) return;
    if (text.length > maxLength) {
      showNotice(TEXT.tooLong.replace("{n}", maxLength), null);
      return;
    }
    var entry = { from: "user", text: text };
    remember(entry);
    deliver(entry);
  }

  /* ---- events --------------------------------------------------------------------------------- */

  function setOpen(open) {
    panel.hidden = !open;
    launcher.hidden = open;
    save("open", open);
    if (open) {
      scrollDown();
      input.focus();
    }
  }

  launcher.addEventListener("click", function () { setOpen(true); });
  closeButton.addEventListener("click", function () { setOpen(false); });
  resetButton.addEventListener("click", function () {
    if (busy) return;
    transcript = [];
    senderId = newSenderId();
    save("sender", senderId);
    save("transcript", transcript);
    hideNotice();
    renderAll();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim() || busy) return;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });

  function mount() {
    document.body.appendChild(host);
    renderAll();
    setOpen(script.getAttribute("data-open") === "true" || load("open", false) === true);
  }

  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }
})();
