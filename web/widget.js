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
 *   data-kiosk       "true" for a shared computer (a hospital hall): the conversation is kept in
 *                    sessionStorage, never localStorage (old entries there are removed), and is
 *                    cleared, with a new sender id and a notice, after data-idle-timeout seconds
 *                    without any input; the 新对话 button is highlighted
 *   data-idle-timeout  seconds of inactivity before a kiosk conversation is cleared (default 120;
 *                    "0" turns the timeout off); ignored outside kiosk mode
 *
 * Talks to POST {server}/webhooks/web/webhook {"sender","message"} ->
 * {"messages":[{"text","custom","buttons"?}]}. A message's buttons ([{"title","payload"}], Rasa's)
 * are drawn under it: a click sends the payload and shows the title as the patient's message;
 * they are disabled once one is clicked or a newer message arrives. custom.strategy drives the
 * look ("emergency" is highlighted), custom.items are shown as a list. The sender id and the
 * transcript live in localStorage (kiosk: sessionStorage), so a reload keeps the conversation.
 * Everything from the server is inserted as text, never HTML.
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
  var kiosk = script.getAttribute("data-kiosk") === "true";
  var idleAttribute = script.getAttribute("data-idle-timeout");
  var idleSeconds = idleAttribute === null || !/^\d+(\.\d+)?$/.test(idleAttribute.trim())
    ? 120 : parseFloat(idleAttribute);
  var MAX_TRANSCRIPT = 200;
  var REQUEST_TIMEOUT_MS = 30000;
  var PREFIX = "hospital-chat:";
  var KEY = PREFIX + server + ":";
  var TEXT = {
    greeting: "您好，我是医院智能问答助手。可以问我疾病的症状、病因、治疗、就诊科室等问题。",
    disclaimer: "回答仅供参考，不能替代医生诊断",
    placeholder: "请输入您的问题…",
    send: "发送",
    idleCleared: "由于长时间无操作，对话已清除，已开始新的对话。",
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

  // Outside kiosk mode localStorage (the conversation survives closing the browser); in kiosk
  // mode sessionStorage only (gone with the tab), and nothing of any widget in localStorage.
  function storageArea(name) {
    try {
      return window[name] || null;
    } catch (e) {
      return null;  // storage disabled: reading the property itself throws
    }
  }

  var storage = storageArea(kiosk ? "sessionStorage" : "localStorage");

  function forgetWidgetEntries(area) {
    if (!area) return;
    try {
      for (var i = area.length - 1; i >= 0; i--) {
        var name = area.key(i);
        if (name && name.indexOf(PREFIX) === 0) area.removeItem(name);
      }
    } catch (e) { /* storage disabled: nothing to remove */ }
  }

  if (kiosk) forgetWidgetEntries(storageArea("localStorage"));

  function load(name, fallback) {
    try {
      var raw = storage.getItem(KEY + name);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) {
      return fallback;
    }
  }

  function save(name, value) {
    try {
      storage.setItem(KEY + name, JSON.stringify(value));
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

  var panel = el("section", kiosk ? "panel kiosk" : "panel");
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

  // Rasa's buttons of a bot message: [{"title", "payload"}]; anything else is dropped.
  function cleanButtons(buttons) {
    if (!Array.isArray(buttons)) return [];
    return buttons.filter(function (b) {
      return b && typeof b === "object" && typeof b.title === "string" && b.title.trim() &&
        typeof b.payload === "string" && b.payload.trim();
    }).map(function (b) { return { title: b.title, payload: b.payload }; });
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

  // A bot message's buttons, drawn under it. Only the newest message's buttons can be
  // clicked, and only while nothing is pending (updateButtons); a click answers it.
  function renderButtons(entry) {
    var bar = el("div", "quick-replies");
    bar.setAttribute("role", "group");
    entry.buttons.forEach(function (b, index) {
      var button = el("button", "quick-reply", b.title);
      button.type = "button";
      if (entry.chosen === index) button.classList.add("chosen");
      button.addEventListener("click", function () {
        if (button.disabled || busy || transcript[transcript.length - 1] !== entry) return;
        entry.chosen = index;
        send(b.title, b.payload);
      });
      bar.appendChild(button);
    });
    bar.__entry = entry;
    return bar;
  }

  function updateButtons() {
    var last = transcript[transcript.length - 1];
    Array.prototype.forEach.call(log.querySelectorAll(".quick-replies"), function (bar) {
      var open = !busy && bar.__entry === last;
      bar.classList.toggle("answered", !open);
      Array.prototype.forEach.call(bar.querySelectorAll("button"), function (button) {
        button.disabled = !open;
      });
    });
  }

  function renderAll() {
    log.textContent = "";
    log.appendChild(renderEntry({ from: "bot", text: TEXT.greeting, custom: { strategy: "greeting" } }));
    transcript.forEach(function (entry) {
      log.appendChild(renderEntry(entry));
      if (entry.from === "bot" && entry.buttons && entry.buttons.length) log.appendChild(renderButtons(entry));
    });
    updateButtons();
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
    } else {
      if (typing.parentNode) typing.parentNode.removeChild(typing);
      touch();  // kiosk: the idle time counts from the reply, so the patient can read it
    }
    updateButtons();
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
    post(entry.payload || entry.text).then(function (result) {
      setBusy(false);
      if (result.status === 200 && result.body && Array.isArray(result.body.messages)) {
        result.body.messages.forEach(function (m) {
          var reply = { from: "bot", text: m.text || "", custom: m.custom || null };
          var buttons = cleanButtons(m.buttons);
          if (buttons.length) reply.buttons = buttons;
          remember(reply);
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

  // ``payload`` (a button's) is what the server gets; ``text`` is what the patient sees.
  function send(text, payload) {
    text = (text || "").trim();
    if (!text || busy) return;
    if (text.length > maxLength) {
      showNotice(TEXT.tooLong.replace("{n}", maxLength), null);
      return;
    }
    var entry = { from: "user", text: text };
    if (payload) entry.payload = payload;
    remember(entry);
    deliver(entry);
  }

  // A new conversation: empty transcript, a new sender id (the server's old conversation is
  // never reached again), and optionally a notice saying why.
  function startOver(reason) {
    transcript = [];
    senderId = newSenderId();
    save("sender", senderId);
    save("transcript", transcript);
    hideNotice();
    renderAll();
    if (reason) showNotice(reason, null);
  }

  /* ---- kiosk: clear the conversation after idleSeconds without input ---------------------- */

  var idleTimer = null;

  function idleExpired() {
    idleTimer = null;
    if (busy) {  // a reply is on its way: wait for it, then count again
      touch();
      return;
    }
    var typed = input.value.trim() !== "";
    input.value = "";
    if (transcript.length || typed) startOver(TEXT.idleCleared);
  }

  function touch() {
    if (!kiosk || !(idleSeconds > 0)) return;
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(idleExpired, idleSeconds * 1000);
  }

  if (kiosk) {
    // Any input on the page counts, the widget's own included (its events reach the document).
    ["pointerdown", "keydown", "touchstart", "wheel", "input"].forEach(function (name) {
      document.addEventListener(name, touch, { capture: true, passive: true });
    });
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
    startOver(null);
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
    touch();
  }

  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }
})();
