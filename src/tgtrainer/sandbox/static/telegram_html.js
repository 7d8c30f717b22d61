// Telegram's HTML and entities, shown in the page.
import { el } from "./util.js";

// -- Telegram HTML, sanitised ----------------------------------------------------------------
// Only the tags Telegram accepts are rebuilt (as new elements, never through innerHTML);
// anything else keeps its text and loses its markup.

const SIMPLE_TAGS = {
  B: "b", STRONG: "b", I: "i", EM: "i", U: "u", INS: "u", S: "s", STRIKE: "s", DEL: "s", PRE: "pre",
};

export function telegramHtml(html) {
  const doc = new DOMParser().parseFromString(`<!doctype html><body>${html || ""}</body>`, "text/html");
  const fragment = document.createDocumentFragment();
  rebuild(doc.body, fragment);
  return fragment;
}

function rebuild(source, target) {
  for (const node of source.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      // A block already ends its line; Telegram counts the newline after it as that line's end.
      const afterBlock = target.lastChild && ["PRE", "BLOCKQUOTE"].includes(target.lastChild.nodeName);
      target.append(afterBlock ? node.data.replace(/^\n/, "") : node.data);
      continue;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) continue;
    const tag = node.tagName;
    let made = null;
    if (SIMPLE_TAGS[tag]) {
      made = document.createElement(SIMPLE_TAGS[tag]);
    } else if (tag === "A") {
      const href = node.getAttribute("href") || "";
      if (/^(https?:|tg:|mailto:)/i.test(href)) {
        made = el("a");
        made.href = href;
        made.target = "_blank";
        made.rel = "noopener noreferrer";
      }
    } else if (tag === "CODE") {
      made = el("code");
      const language = /^language-([\w+#.-]{1,32})$/.exec(node.getAttribute("class") || "");
      if (language && target instanceof HTMLElement && target.tagName === "PRE") {
        target.dataset.lang = language[1];
      }
    } else if (tag === "BLOCKQUOTE") {
      made = el("blockquote", node.hasAttribute("expandable") ? "expandable" : "");
    } else if ((tag === "SPAN" && node.classList.contains("tg-spoiler")) || tag === "TG-SPOILER") {
      made = el("span", "spoiler");
    }
    if (made) {
      rebuild(node, made);
      target.append(made);
    } else {
      rebuild(node, target);
    }
  }
}

// What a person typed, with the commands, @mentions and links Telegram marks in it (the
// entities' offsets count UTF-16 units, as JavaScript strings do).
export function typedText(text, entities) {
  const fragment = document.createDocumentFragment();
  let at = 0;
  for (const entity of entities) {
    if (entity.offset < at || !["bot_command", "mention", "url"].includes(entity.type)) continue;
    fragment.append(text.slice(at, entity.offset));
    const part = text.slice(entity.offset, entity.offset + entity.length);
    let node;
    if (entity.type === "url") {
      node = el("a", "", part);
      node.href = part;
      node.target = "_blank";
      node.rel = "noopener noreferrer";
    } else {
      node = el("span", entity.type === "bot_command" ? "command" : "mention", part);
      if (entity.type === "bot_command") node.title = "Send this command";
    }
    fragment.append(node);
    at = entity.offset + entity.length;
  }
  fragment.append(text.slice(at));
  return fragment;
}
