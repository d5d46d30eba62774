/**
 * A scripted stand-in for the browser's XMLHttpRequest, which Node does not have, for the page's
 * request module (lib/streaming/request-analysis.ts). Install it with
 * `vi.stubGlobal("XMLHttpRequest", FakeXMLHttpRequest)`.
 *
 * Each request records what was sent; the test then plays the network's part: upload progress,
 * the response's status, its body growing piece by piece, the end, a network error. Like the
 * real one, `abort()` fires `abort` only while a request is under way: not before `send()`, and
 * not once it has ended.
 */

export interface FakeProgress {
  loaded: number;
  total: number;
  lengthComputable: boolean;
}

type Handler<T = void> = ((event: T) => void) | null;

/** Plays one request's network side, once it has been sent; may be async. */
export type FakeServerScript = (xhr: FakeXMLHttpRequest) => void | Promise<void>;

type State = "unsent" | "opened" | "sent" | "done";

export class FakeXMLHttpRequest {
  /** Every request sent since `reset()`, in order. */
  static sent: FakeXMLHttpRequest[] = [];
  /** Scripts for the next requests, one each, in order; a request without one waits for the test. */
  static scripts: FakeServerScript[] = [];

  static reset() {
    FakeXMLHttpRequest.sent = [];
    FakeXMLHttpRequest.scripts = [];
  }

  method: string | undefined;
  url: string | undefined;
  body: FormData | undefined;
  status = 0;
  responseText = "";
  /** How many times `abort()` was called, whatever it did. */
  abortCalls = 0;
  state: State = "unsent";

  upload: { onprogress: Handler<FakeProgress>; onload: Handler } = { onprogress: null, onload: null };
  onprogress: Handler = null;
  onload: Handler = null;
  onerror: Handler = null;
  onabort: Handler = null;

  open(method: string, url: string) {
    this.method = method;
    this.url = url;
    this.state = "opened";
  }

  send(body: FormData) {
    if (this.state !== "opened") throw new Error(`send() in state ${this.state}`);
    this.body = body;
    this.state = "sent";
    FakeXMLHttpRequest.sent.push(this);
    const script = FakeXMLHttpRequest.scripts.shift();
    // The network answers later, never inside send().
    if (script) setTimeout(() => void script(this), 0);
  }

  abort() {
    this.abortCalls++;
    if (this.state !== "sent") {
      // Before send() or after the end: the real XMLHttpRequest fires nothing.
      if (this.state === "done") this.state = "unsent";
      return;
    }
    this.state = "done";
    this.status = 0;
    this.onabort?.();
  }

  /** Whether the request is still waiting for the network. */
  get pending(): boolean {
    return this.state === "sent";
  }

  // --- The network's side ------------------------------------------------------------------

  uploadProgress(loaded: number, total: number, lengthComputable = true) {
    this.expectPending();
    this.upload.onprogress?.({ loaded, total, lengthComputable });
  }

  uploadDone() {
    this.expectPending();
    this.upload.onload?.();
  }

  /** The response's status line has arrived. */
  respond(status: number) {
    this.expectPending();
    this.status = status;
  }

  /** More of the response body has arrived. */
  receive(text: string) {
    this.expectPending();
    this.responseText += text;
    this.onprogress?.();
  }

  /** The response is complete. */
  finish() {
    this.expectPending();
    this.state = "done";
    this.onload?.();
  }

  /** The whole exchange at once: upload done, status, body, end. */
  answer(status: number, body: string) {
    this.uploadDone();
    this.respond(status);
    if (body) this.receive(body);
    this.finish();
  }

  /** The connection failed: no response. */
  failNetwork() {
    this.expectPending();
    this.state = "done";
    this.status = 0;
    this.onerror?.();
  }

  /** A field of the form sent, as text; a file as its name. */
  field(name: string): string | undefined {
    const value = this.body?.get(name);
    if (value === null || value === undefined) return undefined;
    return typeof value === "string" ? value : `file:${value.name}`;
  }

  private expectPending() {
    if (this.state !== "sent") throw new Error(`the fake network acted on a request in state ${this.state}`);
  }
}
