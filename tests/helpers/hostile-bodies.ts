import http from "node:http";
/**
 * Multipart bodies from the attack kit, built by hand: FormData cannot write a malformed header.
 * Shared by the parser's unit tests and the regression tests against a real server.
 */
export const HOSTILE_BOUNDARY = "hostile-boundary-5c1e";
export const HOSTILE_CONTENT_TYPE = `multipart/form-data; boundary=${HOSTILE_BOUNDARY}`;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function part(headers: string, content: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(`--${HOSTILE_BOUNDARY}\r\n${headers}\r\n\r\n`), Buffer.from(content), Buffer.from("\r\n")]);
}

const CLOSING = Buffer.from(`--${HOSTILE_BOUNDARY}--\r\n`);

/** One image part whose Content-Disposition repeats a filename parameter `repeats` times. */
export function hugeFilenameBody(repeats = 40_000): Buffer {
  const disposition = `Content-Disposition: form-data; name="image"; ${'filename="x"y '.repeat(repeats)}`;
  return Buffer.concat([part('Content-Disposition: form-data; name="prompt"', "Explain"), part(disposition, PNG_SIGNATURE), CLOSING]);
}

/** The opening of a part whose header name never ends; the caller sends the letters after it. */
export function longHeaderNameOpening(): Buffer {
  return Buffer.from(`--${HOSTILE_BOUNDARY}\r\n`);
}

/** `count` tiny files, all in the image field. */
export function tinyImagePartsBody(count: number): Buffer {
  const parts = Array.from({ length: count }, (_, index) =>
    part(`Content-Disposition: form-data; name="image"; filename="${index}.png"\r\nContent-Type: image/png`, PNG_SIGNATURE),
  );
  return Buffer.concat([part('Content-Disposition: form-data; name="prompt"', "Explain"), ...parts, CLOSING]);
}

/** `count` parts without a Content-Disposition: nothing a form would send, each one skipped. */
export function namelessPartsBody(count: number): Buffer {
  return Buffer.concat([...Array.from({ length: count }, () => part("X-Filler: 1", "x")), CLOSING]);
}

/** `count` text fields with distinct names. */
export function manyFieldsBody(count: number): Buffer {
  return Buffer.concat([...Array.from({ length: count }, (_, index) => part(`Content-Disposition: form-data; name="f${index}"`, "v")), CLOSING]);
}

/** The start of an image part, its content left to the caller. */
export function imagePartOpening(): Buffer {
  return Buffer.concat([
    part('Content-Disposition: form-data; name="prompt"', "Explain"),
    Buffer.from(`--${HOSTILE_BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="d.png"\r\nContent-Type: image/png\r\n\r\n`),
    PNG_SIGNATURE,
  ]);
}

/**
 * Opens POST /api/analyze as a multipart upload whose body declares `declaredBytes` more than its
 * head (a task, then an image part's headers) and sends only the head: the server has the request
 * and never the end of its body until the caller writes more or destroys the request.
 */
export function openUpload(serverUrl: string, declaredBytes: number, boundary = HOSTILE_BOUNDARY): http.ClientRequest {
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nExplain\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n`,
  );
  const { port, hostname } = new URL(serverUrl);
  const request = http.request({
    host: hostname,
    port,
    path: "/api/analyze",
    method: "POST",
    headers: { "Content-Type": `multipart/form-data; boundary=${boundary}`, "Content-Length": String(head.length + declaredBytes) },
  });
  request.on("error", () => undefined);
  request.write(head);
  return request;
}
