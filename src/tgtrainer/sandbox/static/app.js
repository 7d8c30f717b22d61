// tgtrainer sandbox web chat: plain JavaScript, no build step.
// It talks to the sandbox's user API (/sandbox/api/...): it sends what a person types, records
// or attaches, and long-polls the event log to show what the bot does, as Telegram would.
import { telegramHtml, typedText } from "./telegram_html.js";
import {
  API, avatar, clock, colorFor, duration, el, errorText, fileSize, request, sleep, toast,
} from "./util.js";

const USERS = [
  { id: 1001, first_name: "Alice", username: "alice_sandbox", language_code: "en" },
  { id: 1002, first_name: "Bob", username: "bob_sandbox", language_code: "en" },
  { id: 1003, first_name: "Carol", username: "carol_sandbox", language_code: "en" },
];
const GROUP = { id: -1001, type: "group", title: "Sandbox group" };
const ACTIONS = {
  typing: "typing…", record_voice: "recording a voice note…", upload_voice: "sending a voice note…",
  upload_document: "sending a file…", upload_photo: "sending a photo…", record_video_note: "recording a video…",
};

const app = {
  user: USERS[0],
  chat: null,             // the chat shown: {id, type, title}
  seq: 0,                 // last event seen
  bot: { first_name: "tgtrainer", username: "tgtrainer_bot", connected: false },
  model: { state: "unknown" },
  commands: [],
  messages: new Map(),    // message_id -> view, for the chat shown
  drafts: new Map(),      // draft_id -> element, for the chat shown
  previews: new Map(),    // chat_id -> last line
  unread: new Map(),      // chat_id -> count
  replyTo: null,
  recorder: null,
  stats: { drafts: 0, edits: 0, messages: 0, resyncs: 0 },
};
window.sandbox = app;     // for a look from the console (and the browser tests)

const $ = (id) => document.getElementById(id);
const messagesBox = $("messages");
const input = $("input");

messagesBox.addEventListener("click", (event) => {
  const command = event.target.closest(".text .command");
  if (command) sendText(command.textContent);
  const spoiler = event.target.closest(".spoiler");
  if (spoiler) spoiler.classList.add("shown");
  const quote = event.target.closest("blockquote.expandable");
  if (quote) quote.classList.toggle("open");
});

// -- who said what ---------------------------------------------------------------------------

function isGroup(chat) { return chat && chat.type !== "private"; }

function senderName(m) {
  if (m.from_bot) return app.bot.first_name;
  const from = m.from || {};
  return [from.first_name, from.last_name].filter(Boolean).join(" ") || "Someone";
}

function plainLine(m) {
  const kinds = { voice: "🎤 Voice message", audio: "🎵 ", document: "📄 ", photo: "🖼 Photo" };
  const lead = m.kind === "audio" || m.kind === "document" ? kinds[m.kind] + (m.file_name || "") : kinds[m.kind];
  const text = (m.text || "").replace(/\s+/g, " ").trim();
  return [lead, text].filter(Boolean).join(" · ") || "…";
}

// -- the chat list and the user ---------------------------------------------------------------

function chatsOf(user) {
  return [{ id: user.id, type: "private", title: app.bot.first_name }, GROUP];
}

function renderUsers() {
  const select = $("user-select");
  select.replaceChildren(...USERS.map((user) => {
    const option = el("option", "", `${user.first_name} (@${user.username})`);
    option.value = String(user.id);
    return option;
  }));
  select.value = String(app.user.id);
}

function renderChatList() {
  const unread = [...app.unread.values()].reduce((sum, count) => sum + count, 0);
  document.title = unread ? `(${unread}) tgtrainer sandbox` : "tgtrainer sandbox";
  const list = $("chat-list");
  list.replaceChildren(...chatsOf(app.user).map((chat) => {
    const item = el("li");
    item.dataset.chat = String(chat.id);
    if (app.chat && app.chat.id === chat.id) item.classList.add("active");
    const body = el("div", "chat-item-body");
    const top = el("div", "chat-item-top");
    top.append(el("span", "chat-name", chat.type === "private" ? app.bot.first_name : chat.title));
    top.append(el("span", "chat-kind", chat.type === "private" ? "bot" : "group"));
    body.append(top, el("div", "preview", app.previews.get(chat.id) || (chat.type === "private" ? "Private chat with the bot" : "Alice, Bob, Carol and the bot")));
    item.append(avatar(chat.type === "private" ? app.bot.first_name : chat.title, chat.id), body);
    const count = app.unread.get(chat.id);
    if (count) item.append(el("span", "badge hot", String(count)));
    item.addEventListener("click", () => openChat(chat));
    return item;
  }));
}

function switchUser(userId) {
  const user = USERS.find((u) => u.id === Number(userId)) || USERS[0];
  app.user = user;
  localStorage.setItem("sandbox.user", String(user.id));
  const wasGroup = isGroup(app.chat);
  openChat(chatsOf(user)[wasGroup ? 1 : 0]);
  loadPreviews();
}

async function loadPreviews() {
  for (const chat of chatsOf(app.user)) {
    try {
      const { messages } = await request("GET", `/chats/${chat.id}/messages`);
      if (messages.length) app.previews.set(chat.id, previewOf(messages[messages.length - 1]));
    } catch (_) { /* the chat does not exist yet */ }
  }
  renderChatList();
}

function previewOf(m) {
  return (m.from_bot ? "" : `${m.from && m.from.id === app.user.id ? "You" : senderName(m)}: `) + plainLine(m);
}

// -- the chat shown ---------------------------------------------------------------------------

async function openChat(chat) {
  app.chat = chat;
  actionUntil = 0; // "typing…" belonged to the chat we leave
  localStorage.setItem("sandbox.chat", chat.type === "private" ? "private" : "group");
  app.unread.delete(chat.id);
  document.body.classList.remove("list");
  clearReply();
  hidePopup();
  renderHeader();
  renderChatList();
  messagesBox.replaceChildren();
  app.messages.clear();
  app.drafts.clear();
  input.placeholder = isGroup(chat) ? `Message as ${app.user.first_name} (mention @${app.bot.username} or reply to it)` : "Message";
  await loadMessages();
  input.focus();
}

async function loadMessages() {
  const chat = app.chat;
  let messages = [];
  let drafts = [];
  try {
    ({ messages, drafts } = await request("GET", `/chats/${chat.id}/messages`));
  } catch (_) { /* a chat nobody wrote in yet */ }
  if (app.chat !== chat) return;
  messagesBox.replaceChildren();
  app.messages.clear();
  if (!messages.length) {
    messagesBox.append(el("div", "service", isGroup(chat)
      ? "A group with Alice, Bob, Carol and the bot. The bot answers when mentioned or replied to."
      : "Say hello to the bot, or press Menu for its commands."));
  }
  for (const m of messages) upsertMessage(m, false);
  app.drafts.clear();
  for (const draft of drafts || []) showDraft(draft);  // a reply being written right now
  scrollToBottom(true);
}

function renderHeader() {
  const chat = app.chat;
  const title = chat.type === "private" ? app.bot.first_name : chat.title;
  $("chat-title").textContent = title;
  $("chat-avatar").replaceWith(Object.assign(avatar(title, chat.id), { id: "chat-avatar" }));
  renderSubtitle();
}

let actionUntil = 0;
let actionText = "";
function renderSubtitle() {
  const box = $("chat-subtitle");
  const acting = Date.now() < actionUntil;
  box.classList.toggle("active", acting);
  if (acting) {
    box.textContent = isGroup(app.chat) ? `${app.bot.first_name} is ${actionText}` : actionText;
  } else if (isGroup(app.chat)) {
    box.textContent = `4 members · you are ${app.user.first_name}`;
  } else {
    box.textContent = app.bot.connected ? `bot · @${app.bot.username}` : "connecting…";
  }
}

function nearBottom() {
  return messagesBox.scrollHeight - messagesBox.scrollTop - messagesBox.clientHeight < 120;
}

function scrollToBottom(force) {
  if (force || nearBottom()) messagesBox.scrollTop = messagesBox.scrollHeight;
}

function upsertMessage(m, live = true) {
  const stick = nearBottom();
  const row = renderMessage(m);
  const old = messagesBox.querySelector(`.msg[data-id="${m.message_id}"]`);
  app.messages.set(m.message_id, m);
  messagesBox.querySelector(".service")?.remove();
  if (old) {
    old.replaceWith(row);
  } else {
    const after = [...messagesBox.querySelectorAll(".msg[data-id]")].find((node) => Number(node.dataset.id) > m.message_id);
    if (after) after.before(row); else messagesBox.insertBefore(row, firstDraft());
  }
  if (live) scrollToBottom(stick || (m.from && m.from.id === app.user.id && !m.from_bot));
}

function firstDraft() { return messagesBox.querySelector(".msg.draft-row"); }

function renderMessage(m) {
  const mine = !m.from_bot && m.from && m.from.id === app.user.id;
  const row = el("div", `msg ${mine ? "out" : "in"}`);
  row.dataset.id = String(m.message_id);
  if (m.from_bot) row.dataset.fromBot = "1";
  if (!mine && isGroup(app.chat)) row.append(avatar(senderName(m), m.from ? m.from.id : 0));
  const column = el("div", "msg-col");
  const bubble = el("div", "bubble");
  bubble.dataset.kind = m.kind;
  if (!mine && isGroup(app.chat)) {
    const name = el("div", "sender", senderName(m));
    name.style.color = colorFor(m.from ? m.from.id : 0);
    bubble.append(name);
  }
  if (m.reply_to_message_id) bubble.append(renderQuote(m.reply_to_message_id));
  const attachment = renderAttachment(m);
  if (attachment) bubble.append(attachment);
  if (m.text) {
    const text = el("div", "text");
    text.append(m.from_bot ? telegramHtml(m.html) : typedText(m.text, m.entities || []));
    bubble.append(text);
  }
  const meta = el("span", "meta", (m.edit_date ? "edited " : "") + clock(m.edit_date || m.date));
  (bubble.querySelector(".text") || bubble).append(meta);
  if (m.reactions && m.reactions.length) {
    const box = el("div", "reactions");
    for (const reaction of m.reactions) box.append(el("span", "reaction", reaction.emoji || "★"));
    bubble.append(box);
  }
  column.append(bubble);
  const keyboard = m.reply_markup && m.reply_markup.inline_keyboard;
  if (keyboard && keyboard.length) column.append(renderKeyboard(m, keyboard));
  const reply = el("button", "reply-action");
  reply.title = "Reply";
  reply.innerHTML = '<svg viewBox="0 0 24 24"><path d="M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z"/></svg>';
  reply.addEventListener("click", () => startReply(m));
  if (mine) row.append(reply, column); else row.append(column, reply);
  row.addEventListener("dblclick", () => startReply(m));
  return row;
}

function renderQuote(messageId) {
  const replied = app.messages.get(messageId);
  const quote = el("div", "quote");
  quote.append(el("b", "", replied ? senderName(replied) : "Message"));
  quote.append(el("span", "", replied ? plainLine(replied) : "(not in view)"));
  quote.addEventListener("click", () => {
    const target = messagesBox.querySelector(`.msg[data-id="${messageId}"]`);
    if (!target) return;
    target.scrollIntoView({ block: "center", behavior: "smooth" });
    target.classList.add("flash");
    setTimeout(() => target.classList.remove("flash"), 1300);
  });
  return quote;
}

function renderAttachment(m) {
  if (m.kind === "text" || !m.file_id) return null;
  const url = `${API}/files/${encodeURIComponent(m.file_id)}`;
  if (m.kind === "voice" || m.kind === "audio") {
    const box = el("div", "audio-row");
    const player = el("audio");
    player.controls = true;
    player.preload = "metadata";
    player.src = url;
    const label = m.kind === "voice" ? "voice" : m.file_name || "audio";
    box.append(player, el("span", "audio-kind", `${label} · ${duration(m.duration)}`));
    return box;
  }
  if (m.kind === "photo") {
    const image = el("img", "photo");
    image.src = url;
    image.alt = "photo";
    return image;
  }
  const link = el("a", "file");
  link.href = url;
  link.target = "_blank";
  link.download = m.file_name || "file";
  const extension = ((m.file_name || "").split(".").pop() || "file").slice(0, 4);
  const details = el("div");
  details.append(el("div", "file-name", m.file_name || "file"), el("div", "file-size", fileSize(m.file_size)));
  link.append(el("div", "file-icon", extension), details);
  return link;
}

function renderKeyboard(m, rows) {
  const keyboard = el("div", "keyboard");
  for (const buttons of rows) {
    const row = el("div", "keyboard-row");
    for (const button of buttons) {
      const node = el("button", "", button.text);
      node.title = button.text;
      node.addEventListener("click", () => pressButton(m, button, node));
      row.append(node);
    }
    keyboard.append(row);
  }
  return keyboard;
}

async function pressButton(m, button, node) {
  if (button.url) { window.open(button.url, "_blank", "noopener"); return; }
  if (button.callback_data == null) { toast("This button does nothing in the sandbox."); return; }
  node.classList.add("busy");
  setTimeout(() => node.classList.remove("busy"), 3000);
  try {
    await request("POST", "/callbacks", {
      chat_id: m.chat_id, message_id: m.message_id, data: button.callback_data, user: app.user,
    });
  } catch (error) {
    toast(`The button could not be pressed: ${error.message}`);
  }
}

function removeMessage(messageId) {
  messagesBox.querySelector(`.msg[data-id="${messageId}"]`)?.remove();
  app.messages.delete(messageId);
}

// Drafts: sendMessageDraft shows a reply growing in a private chat before the real message.
function showDraft(draft) {
  const existing = app.drafts.get(draft.draft_id);
  if (!draft.text) { existing?.remove(); app.drafts.delete(draft.draft_id); return; }
  const stick = nearBottom();
  const row = el("div", "msg in draft-row");
  const column = el("div", "msg-col");
  const bubble = el("div", "bubble draft");
  const text = el("div", "text");
  text.append(telegramHtml(draft.html));
  bubble.append(text);
  column.append(bubble);
  row.append(column);
  if (existing) existing.replaceWith(row); else messagesBox.append(row);
  app.drafts.set(draft.draft_id, row);
  app.stats.drafts += 1;
  scrollToBottom(stick);
}

function clearDrafts() {
  for (const row of app.drafts.values()) row.remove();
  app.drafts.clear();
}

// -- events from the sandbox --------------------------------------------------------------------

function handleEvent(event) {
  const here = app.chat && event.chat_id === app.chat.id;
  switch (event.type) {
    case "message":
      app.stats.messages += 1;
      app.previews.set(event.chat_id, previewOf(event.message));
      if (here) {
        if (event.message.from_bot) clearDrafts();
        if (event.message.from_bot) { actionUntil = 0; renderSubtitle(); }
        upsertMessage(event.message);
      } else if (chatsOf(app.user).some((c) => c.id === event.chat_id)) {
        app.unread.set(event.chat_id, (app.unread.get(event.chat_id) || 0) + 1);
      }
      renderChatList();
      break;
    case "edit":
      app.stats.edits += 1;
      app.previews.set(event.chat_id, previewOf(event.message));
      if (here) upsertMessage(event.message);
      renderChatList();
      break;
    case "delete":
      if (here) removeMessage(event.message_id);
      break;
    case "draft":
      if (here) showDraft(event.draft);
      break;
    case "chat_action":
      if (here) {
        actionText = ACTIONS[event.action] || `${event.action}…`;
        actionUntil = Date.now() + 5000;
        renderSubtitle();
        setTimeout(renderSubtitle, 5100);
      }
      break;
    case "reaction":
      if (here && app.messages.has(event.message_id)) {
        upsertMessage({ ...app.messages.get(event.message_id), reactions: event.reaction }, false);
      }
      break;
    case "callback_answer":
      if (event.text) {
        if (event.show_alert) alert(event.text); else toast(event.text);
      }
      break;
    case "commands":
      app.commands = event.commands || [];
      break;
    default:
      break;
  }
}

async function resync() {
  const status = await request("GET", "/status");
  applyStatus(status);
  app.seq = status.last_seq;
  app.stats.resyncs += 1;
  const { commands } = await request("GET", "/commands");
  app.commands = commands;
  if (app.chat) await loadMessages();
  await loadPreviews();
}

async function listen() {
  for (;;) {
    try {
      const batch = await request("GET", `/events?after=${app.seq}&timeout=25`);
      setOffline(false);
      if (batch.last_seq < app.seq) { await resync(); continue; }  // the sandbox restarted
      for (const event of batch.events) {
        if (event.seq > app.seq) handleEvent(event);
      }
      app.seq = Math.max(app.seq, batch.last_seq);
    } catch (_) {
      setOffline(true);
      await sleep(1500);
      try { await resync(); setOffline(false); } catch (__) { /* still away */ }
    }
  }
}

let offline = false;
function setOffline(value) {
  if (value === offline) return;
  offline = value;
  renderBanner();
}

// -- status: is the bot connected, is its model loaded -----------------------------------------

function applyStatus(status) {
  const before = app.bot.first_name;
  app.bot = status.bot;
  app.model = status.model || { state: "unknown" };
  if (before !== app.bot.first_name) renderChatList();
  renderBanner();
  if (app.chat) renderSubtitle();
  if (!settled()) wakeStatus();
}

function renderBanner() {
  const banner = $("banner");
  let text = "";
  let failed = false;
  if (offline) {
    text = "The sandbox is not answering: reconnecting…";
    failed = true;
  } else if (!app.bot.connected) {
    text = "Starting the bot… messages you send now are answered once it is up.";
  } else if (app.model.state === "loading" || app.model.state === "waiting") {
    text = "The chat model is still loading: the first answer waits for it.";
  } else if (app.model.state === "failed") {
    text = `The chat model could not be loaded: ${app.model.message || "see the log"}`;
    failed = true;
  }
  banner.textContent = text;
  banner.classList.toggle("failed", failed);
  banner.hidden = !text;
}

function settled() {
  return app.bot.connected && !["loading", "waiting"].includes(app.model.state);
}

let wakeStatus = () => {};
async function watchStatus() {
  for (;;) {
    try { applyStatus(await request("GET", "/status")); } catch (_) { /* listen() says so */ }
    // Every second while something is on its way, else every ten (or when woken).
    await new Promise((resolve) => {
      wakeStatus = resolve;
      setTimeout(resolve, settled() ? 10000 : 1000);
    });
  }
}

// -- sending -----------------------------------------------------------------------------------

function chatFields() {
  const chat = app.chat;
  return { chat_id: chat.id, chat_type: chat.type, chat_title: chat.title };
}

async function sendText(text) {
  text = (text ?? input.value).trim();
  if (!text || !app.chat) return;
  const typed = text === input.value.trim();
  if (typed) { input.value = ""; inputChanged(); }
  const body = { ...chatFields(), text, user: app.user };
  if (app.replyTo) body.reply_to_message_id = app.replyTo.message_id;
  clearReply();
  hidePopup();
  try {
    const { message } = await request("POST", "/messages", body);
    if (app.chat && message.chat_id === app.chat.id) upsertMessage(message);
  } catch (error) {
    toast(`Not sent: ${error.message}`);
    if (typed && !input.value) { input.value = text; inputChanged(); }  // nothing typed is lost
  }
}

function sendFile(file, kind) {
  const chat = app.chat;
  const form = new FormData();
  const fields = { ...chatFields(), kind, user_id: app.user.id, first_name: app.user.first_name, username: app.user.username };
  for (const [key, value] of Object.entries(fields)) form.append(key, String(value));
  const caption = input.value.trim();
  if (caption && kind !== "voice") { form.append("caption", caption); input.value = ""; inputChanged(); }
  if (app.replyTo) form.append("reply_to_message_id", String(app.replyTo.message_id));
  clearReply();
  form.append("file", file, file.name || "file");

  const row = el("div", "msg out uploading");
  const column = el("div", "msg-col");
  const bubble = el("div", "bubble");
  const bar = el("div", "upload-progress");
  const fill = el("div");
  bar.append(fill);
  bubble.append(el("div", "file-name", kind === "voice" ? "🎤 Voice message" : file.name || "file"), el("div", "file-size", `Uploading… ${fileSize(file.size)}`), bar);
  column.append(bubble);
  row.append(column);
  messagesBox.append(row);
  scrollToBottom(true);

  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${API}/files`);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) fill.style.width = `${Math.round((100 * event.loaded) / event.total)}%`;
    };
    xhr.onload = () => {
      row.remove();
      if (xhr.status >= 200 && xhr.status < 300) {
        const { message } = JSON.parse(xhr.responseText);
        if (app.chat === chat) upsertMessage(message);
      } else {
        toast(`Not sent: ${errorText(xhr.status, xhr.responseText)}`, 6000);
      }
      resolve();
    };
    xhr.onerror = () => { row.remove(); toast("Not sent: the sandbox is not answering."); resolve(); };
    xhr.send(form);
  });
}

function kindFor(file) {
  const type = file.type || "";
  if (type.startsWith("audio/")) return "audio";
  return /^image\/(jpeg|png|webp)$/.test(type) ? "photo" : "document";
}

// -- replies, the / menu and @mentions -----------------------------------------------------------

function startReply(m) {
  app.replyTo = m;
  $("reply-name").textContent = `Reply to ${senderName(m)}`;
  $("reply-snippet").textContent = plainLine(m);
  $("reply-bar").hidden = false;
  input.focus();
}

function clearReply() {
  app.replyTo = null;
  $("reply-bar").hidden = true;
}

function hidePopup() { $("popup").hidden = true; }

function showPopup(items, onPick) {
  const popup = $("popup");
  if (!items.length) { hidePopup(); return; }
  popup.replaceChildren(...items.map((item, index) => {
    const button = el("button");
    if (index === 0) button.classList.add("selected");
    button.append(el("span", "cmd", item.label), el("span", "desc", item.description || ""));
    button.addEventListener("mousedown", (event) => { event.preventDefault(); onPick(item); });
    return button;
  }));
  popup.hidden = false;
}

function commandItems(filter) {
  return app.commands
    .filter((c) => c.command.startsWith(filter))
    .map((c) => ({ label: `/${c.command}`, description: c.description, value: c.command }));
}

function showCommandMenu(filter = "") {
  if (!app.commands.length) { toast("The bot has not registered any commands yet."); return; }
  showPopup(commandItems(filter), (item) => {
    input.value = "";
    inputChanged();
    sendText(`/${item.value}`);
  });
}

function mentionCandidates(prefix) {
  const people = [
    { username: app.bot.username, description: `${app.bot.first_name} (the bot)` },
    ...USERS.filter((u) => u.id !== app.user.id).map((u) => ({ username: u.username, description: u.first_name })),
  ];
  return people
    .filter((p) => p.username.toLowerCase().startsWith(prefix.toLowerCase()))
    .map((p) => ({ label: `@${p.username}`, description: p.description, value: p.username }));
}

function inputChanged() {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 180)}px`;
  const hasText = input.value.trim().length > 0;
  $("send-button").hidden = !hasText && !app.recorder;
  $("mic-button").hidden = hasText && !app.recorder;
  const value = input.value;
  const command = /^\/(\w*)$/.exec(value);
  if (command) { showCommandMenu(command[1]); return; }
  const mention = /(?:^|\s)@(\w*)$/.exec(value.slice(0, input.selectionStart));
  if (mention && isGroup(app.chat)) {
    showPopup(mentionCandidates(mention[1]), (item) => {
      const cursor = input.selectionStart;
      const start = cursor - mention[1].length - 1;
      input.value = `${value.slice(0, start)}@${item.value} ${value.slice(cursor)}`;
      hidePopup();
      input.focus();
      inputChanged();
    });
    return;
  }
  hidePopup();
}

// -- voice notes ---------------------------------------------------------------------------------

let recordTimer = 0;
async function toggleRecording() {
  if (app.recorder) { app.recorder.stop(); return; }
  if (!navigator.mediaDevices || !window.MediaRecorder) {
    toast("This browser cannot record here (it needs http://127.0.0.1 or https). Attach an audio file as a voice note instead.", 6000);
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (_) {
    toast("No microphone (or no permission to use it). Attach an audio file as a voice note instead.", 6000);
    return;
  }
  const type = MediaRecorder.isTypeSupported("audio/webm;codecs=opus") ? "audio/webm;codecs=opus" : "";
  const recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
  const chunks = [];
  const started = Date.now();
  recorder.ondataavailable = (event) => { if (event.data.size) chunks.push(event.data); };
  recorder.onstop = () => {
    stream.getTracks().forEach((track) => track.stop());
    clearInterval(recordTimer);
    app.recorder = null;
    $("mic-button").classList.remove("recording");
    $("recording-bar").hidden = true;
    inputChanged();
    if (recorder.cancelled || !chunks.length) return;
    const blob = new Blob(chunks, { type: recorder.mimeType || "audio/webm" });
    sendFile(new File([blob], "voice.webm", { type: blob.type }), "voice");
  };
  recorder.start(250);
  app.recorder = recorder;
  $("mic-button").classList.add("recording");
  $("recording-bar").hidden = false;
  $("rec-time").textContent = "0:00";
  recordTimer = setInterval(() => { $("rec-time").textContent = duration((Date.now() - started) / 1000); }, 250);
}

// -- wiring --------------------------------------------------------------------------------------

function wire() {
  $("user-select").addEventListener("change", (event) => switchUser(event.target.value));
  $("back-button").addEventListener("click", () => document.body.classList.add("list"));
  $("send-button").addEventListener("click", () => sendText());
  $("mic-button").addEventListener("click", toggleRecording);
  $("reply-cancel").addEventListener("click", clearReply);
  $("menu-button").addEventListener("click", () => {
    if (!$("popup").hidden) hidePopup(); else showCommandMenu();
  });
  $("attach-button").addEventListener("click", () => { $("attach-menu").hidden = !$("attach-menu").hidden; });
  for (const button of $("attach-menu").querySelectorAll("button")) {
    button.addEventListener("click", () => {
      $("attach-menu").hidden = true;
      $(`file-${button.dataset.kind}`).click();
    });
  }
  for (const kind of ["photo", "document", "audio", "voice"]) {
    const picker = $(`file-${kind}`);
    picker.addEventListener("change", async () => {
      const files = [...picker.files];
      picker.value = "";
      for (const file of files) await sendFile(file, kind);
    });
  }
  input.addEventListener("input", inputChanged);
  input.addEventListener("keydown", (event) => {
    const selected = $("popup").hidden ? null : $("popup").querySelector("button.selected");
    if (selected && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      const next = event.key === "ArrowDown" ? selected.nextElementSibling : selected.previousElementSibling;
      if (next) {
        selected.classList.remove("selected");
        next.classList.add("selected");
        next.scrollIntoView({ block: "nearest" });
      }
    } else if (selected && (event.key === "Tab" || (event.key === "Enter" && !event.shiftKey))) {
      event.preventDefault();  // the highlighted command or @name is picked, as in Telegram
      selected.dispatchEvent(new MouseEvent("mousedown"));
    } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendText();
    } else if (event.key === "Escape") {
      hidePopup();
      clearReply();
    }
  });
  // Late, so that a click in the popup lands first; and only if the focus did not come back.
  input.addEventListener("blur", () => setTimeout(() => {
    if (document.activeElement !== input) hidePopup();
  }, 150));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && app.recorder) { app.recorder.cancelled = true; app.recorder.stop(); }
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest("#attach-menu, #attach-button")) $("attach-menu").hidden = true;
  });

  // Drag and drop a file anywhere on the chat to send it.
  const chat = $("chat");
  let depth = 0;
  chat.addEventListener("dragenter", (event) => {
    if (![...event.dataTransfer.types].includes("Files")) return;
    depth += 1;
    $("drop-overlay").hidden = false;
  });
  chat.addEventListener("dragleave", () => { depth = Math.max(0, depth - 1); if (!depth) $("drop-overlay").hidden = true; });
  chat.addEventListener("dragover", (event) => event.preventDefault());
  chat.addEventListener("drop", async (event) => {
    event.preventDefault();
    depth = 0;
    $("drop-overlay").hidden = true;
    for (const file of [...event.dataTransfer.files]) await sendFile(file, kindFor(file));
  });
}

async function start() {
  wire();
  const savedUser = USERS.find((u) => String(u.id) === localStorage.getItem("sandbox.user"));
  app.user = savedUser || USERS[0];
  renderUsers();
  try {
    await resync();
  } catch (_) {
    setOffline(true);
  }
  const chats = chatsOf(app.user);
  await openChat(localStorage.getItem("sandbox.chat") === "group" ? chats[1] : chats[0]);
  inputChanged();
  input.disabled = false;  // typing before a chat is open would lose the message
  input.focus();
  document.body.dataset.ready = "1";
  watchStatus();
  listen();
}

start();
