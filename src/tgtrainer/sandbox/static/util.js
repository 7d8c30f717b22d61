// Small helpers of the sandbox web chat: elements, requests to the user API, formatting.

export const API = "/sandbox/api";
const COLORS = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

export async function request(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.body = JSON.stringify(body);
    options.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(API + path, options);
  if (!response.ok) throw new Error(await errorText(response.status, await response.text()));
  return response.json();
}

export function errorText(status, text) {
  try { const parsed = JSON.parse(text); if (parsed.error) return parsed.error; } catch (_) { /* text */ }
  return text || `HTTP ${status}`;
}

let toastTimer = 0;
export function toast(text, ms = 3500) {
  const box = document.getElementById("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, ms);
}

export function colorFor(id) {
  const n = Math.abs(Number(id) || 0);
  return COLORS[(n + Math.floor(n / 7)) % COLORS.length];
}

export function avatar(name, id, className = "avatar") {
  const node = el("div", className, (name || "?").trim().charAt(0).toUpperCase());
  node.style.background = colorFor(id);
  return node;
}

export function clock(seconds) {
  const date = new Date(seconds * 1000);
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export function fileSize(bytes) {
  if (bytes == null) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
