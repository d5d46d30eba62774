import type { JSHandle, Locator, Page } from "@playwright/test";
import { formatBytes } from "../../lib/shared/format";
import { diagramJpeg, diagramPng, largeDiagramPng, TEXT_FILE } from "../helpers/images";
import { controls, DESKTOP, DIAGRAM_NAME, expect, imageViewer, PHONE, screenshot, test, type PageProblems } from "./page-helpers";

/**
 * Getting the image in, through the real page: browse, paste, drag and drop, replace, remove, and
 * the full-screen zoom and pan viewer.
 */

const WIDE_NAME = "wide-diagram.jpg";
const LARGE_NAME = "poster-diagram.png";

interface FileBytes {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

let diagram: FileBytes;
let wide: FileBytes;
/** The wide diagram on disk: the file chooser is given a path, like a person picking from disk. */
let widePath: string;
let large: FileBytes;

test.beforeAll(async ({ tempFile }) => {
  diagram = { name: DIAGRAM_NAME, mimeType: "image/png", buffer: await diagramPng() };
  wide = { name: WIDE_NAME, mimeType: "image/jpeg", buffer: await diagramJpeg(1200) };
  large = { name: LARGE_NAME, mimeType: "image/png", buffer: await largeDiagramPng(6000, 4000) };
  widePath = await tempFile(WIDE_NAME, wide.buffer);
});

let problems: PageProblems;

test.beforeEach(({ pageProblems }) => {
  problems = pageProblems;
});

test.afterEach(() => {
  expect(problems.consoleErrors).toEqual([]);
});

/** The zoom library's transform of the image, as the browser computed it. */
async function transformOf(image: Locator): Promise<{ scale: number; x: number; y: number }> {
  return image.evaluate((element) => {
    const matrix = new DOMMatrixReadOnly(getComputedStyle(element.parentElement!).transform);
    return { scale: matrix.a, x: matrix.e, y: matrix.f };
  });
}

/**
 * The transform once it has stopped changing: zooms, pans and the glide after a drag animate for
 * a few hundred milliseconds. Still for 15 frames (a quarter of a second) counts as settled.
 */
async function settledTransform(image: Locator) {
  await image.evaluate(
    (element) =>
      new Promise<void>((resolve) => {
        let last = "";
        let stillFrames = 0;
        const watch = () => {
          const transform = getComputedStyle(element.parentElement!).transform;
          stillFrames = transform === last ? stillFrames + 1 : 0;
          last = transform;
          if (stillFrames >= 15) resolve();
          else requestAnimationFrame(watch);
        };
        watch();
      }),
  );
  return transformOf(image);
}

/** Lets React render what the last dispatched events changed. */
async function nextFrames(page: Page) {
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

/** A DataTransfer in the page holding these files (or this text), as the OS puts on a drag or the clipboard. */
async function transferOf(page: Page, content: FileBytes[] | { text: string }): Promise<JSHandle<DataTransfer>> {
  const files = Array.isArray(content)
    ? content.map(({ name, mimeType, buffer }) => ({ name, mimeType, base64: buffer.toString("base64") }))
    : [];
  const text = Array.isArray(content) ? null : content.text;
  return page.evaluateHandle(
    ({ files, text }) => {
      const transfer = new DataTransfer();
      for (const { name, mimeType, base64 } of files) {
        const bytes = Uint8Array.from(atob(base64), (character) => character.charCodeAt(0));
        transfer.items.add(new File([bytes], name, { type: mimeType }));
      }
      if (text !== null) transfer.setData("text/plain", text);
      return transfer;
    },
    { files, text },
  );
}

/** Dispatches what the browser fires while a drag moves: relatedTarget is the element the pointer moved to. */
async function dragEvent(
  target: Locator,
  type: "dragenter" | "dragover" | "dragleave" | "drop",
  dataTransfer: JSHandle<DataTransfer>,
  relatedTarget: Locator | null = null,
) {
  const related = relatedTarget ? await relatedTarget.elementHandle() : null;
  await target.evaluate(
    (element, { type, dataTransfer, related }) => {
      element.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer, relatedTarget: related }));
    },
    { type, dataTransfer, related },
  );
}

/** Dispatches a paste on the document, as Ctrl/Cmd+V does; true when the page took it (preventDefault). */
async function paste(page: Page, clipboardData: JSHandle<DataTransfer>): Promise<boolean> {
  return page.evaluate((clipboardData) => {
    const event = new ClipboardEvent("paste", { clipboardData, bubbles: true, cancelable: true });
    document.dispatchEvent(event);
    return event.defaultPrevented;
  }, clipboardData);
}

/** Relative luminance (0 black … 1 white) of an element's background, whatever colour syntax it uses. */
async function backgroundLuminance(element: Locator): Promise<number> {
  return element.evaluate((node) => {
    const context = document.createElement("canvas").getContext("2d")!;
    context.fillStyle = getComputedStyle(node).backgroundColor;
    context.fillRect(0, 0, 1, 1);
    const [r, g, b] = [...context.getImageData(0, 0, 1, 1).data].map((value) => {
      const channel = value / 255;
      return channel <= 0.04045 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  });
}

async function expectInside(element: Locator, viewport: { width: number; height: number }) {
  const box = (await element.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(-0.5);
  expect(box.y).toBeGreaterThanOrEqual(-0.5);
  expect(box.x + box.width).toBeLessThanOrEqual(viewport.width + 0.5);
  expect(box.y + box.height).toBeLessThanOrEqual(viewport.height + 0.5);
}

test("browsing shows the picked file's name, size and pixel size, with a hint that it zooms", async ({ page }) => {
  await page.goto("/");
  const { upload, previewImage, preview, facts, zone } = controls(page);

  await upload.setInputFiles(diagram);
  await expect(previewImage(DIAGRAM_NAME)).toBeVisible();
  await expect(zone.getByText(DIAGRAM_NAME, { exact: true })).toBeVisible();
  await expect(facts).toHaveText(`${formatBytes(diagram.buffer.length)} · 900 × 360 px`);
  await expect(preview).toHaveAccessibleName(`Click to zoom into ${DIAGRAM_NAME}`);
  await expect(preview.getByText("Click to zoom")).toBeVisible();
  // Nothing had focus; it lands on the new preview, the next thing one can do something with.
  await expect(preview).toBeFocused();

  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await screenshot(page, "image-preview-desktop-1280x900");
});

test("pasting an image anywhere on the page picks it; pasting text does not", async ({ page }) => {
  await page.goto("/");
  const { previewImage, facts, error, task, uploadButton } = controls(page);
  await task.click();

  expect(await paste(page, await transferOf(page, { text: "just some words" }))).toBe(false);
  await nextFrames(page);
  await expect(page.getByRole("img", { name: /^Preview of/ })).toHaveCount(0);
  await expect(uploadButton).toBeVisible();
  await expect(error).toHaveCount(0);

  // Screenshots on the clipboard arrive as a file called image.png.
  const screenshotFile = { ...diagram, name: "image.png" };
  expect(await paste(page, await transferOf(page, [screenshotFile]))).toBe(true);
  await expect(previewImage("image.png")).toBeVisible();
  await expect(facts).toContainText("900 × 360 px");
  await expect(error).toHaveCount(0);
  // Pasted while typing the task: the cursor stays in the task.
  await expect(task).toBeFocused();
});

test("dragging a file over the drop zone shows the drop state until it leaves; dropping picks it, or explains why not", async ({ page }) => {
  await page.goto("/");
  const { zone, uploadButton, previewImage, facts, error } = controls(page);
  const dropState = zone.getByText("Drop to upload");
  const files = await transferOf(page, [diagram]);

  await dragEvent(zone, "dragenter", files);
  await dragEvent(zone, "dragover", files);
  await expect(zone).toHaveAttribute("data-dragging", "true");
  await expect(dropState).toBeVisible();
  await screenshot(page, "image-drop-state-desktop-1280x900", { fullPage: false });

  // Onto a child: the browser enters the child, then leaves the zone with the child as relatedTarget.
  await dragEvent(uploadButton, "dragenter", files, zone);
  await dragEvent(zone, "dragleave", files, uploadButton);
  await nextFrames(page);
  expect(await zone.getAttribute("data-dragging"), "drop state right after moving onto a child").toBe("true");
  await dragEvent(uploadButton, "dragover", files);
  await nextFrames(page);
  await expect(dropState).toBeVisible();

  // Out of the window (relatedTarget null).
  await dragEvent(zone, "dragleave", files, null);
  await expect(dropState).toBeHidden();
  await expect(zone).not.toHaveAttribute("data-dragging");

  // Selected text dragged across the page is not an upload.
  const text = await transferOf(page, { text: "API Gateway" });
  await dragEvent(zone, "dragenter", text);
  await dragEvent(zone, "dragover", text);
  await nextFrames(page);
  await expect(zone).not.toHaveAttribute("data-dragging");

  await dragEvent(zone, "dragenter", files);
  await dragEvent(uploadButton, "dragover", files);
  await dragEvent(uploadButton, "drop", files);
  await expect(previewImage(DIAGRAM_NAME)).toBeVisible();
  await expect(facts).toContainText("900 × 360 px");
  await expect(dropState).toBeHidden();
  await expect(zone).not.toHaveAttribute("data-dragging");

  // With an image in place the drop state says what a drop will do.
  const notes = await transferOf(page, [{ name: "notes.txt", mimeType: "text/plain", buffer: TEXT_FILE }]);
  await dragEvent(zone, "dragenter", notes);
  await expect(zone.getByText("Drop to replace the image")).toBeVisible();
  await dragEvent(previewImage(DIAGRAM_NAME), "drop", notes);
  await expect(error).toHaveText("“notes.txt” is not a JPEG or PNG image. Export the diagram as PNG or JPG and try again.");
  // The refused file replaced nothing.
  await expect(previewImage(DIAGRAM_NAME)).toBeVisible();
  await expect(zone).not.toHaveAttribute("data-dragging");
});

test("the preview opens a full-screen viewer that zooms and pans with buttons, keys, wheel and drag", async ({ page }) => {
  await page.goto("/");
  const { upload, preview } = controls(page);
  await upload.setInputFiles(diagram);
  const { dialog, image, surface, level, zoomIn, zoomOut, fit, actualSize } = imageViewer(page, DIAGRAM_NAME);

  await preview.click();
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("heading", { name: DIAGRAM_NAME })).toBeVisible();
  await expect(surface).toBeFocused();
  // Full resolution, fitted: the 900 px wide diagram is drawn as wide as the 1280 px screen.
  expect(await image.evaluate((element: HTMLImageElement) => element.naturalWidth)).toBe(900);
  const fitted = await settledTransform(image);
  const fittedBox = (await image.boundingBox())!;
  expect(fittedBox.width).toBeCloseTo(DESKTOP.width, -1);
  expect(fittedBox.width).toBeLessThanOrEqual(DESKTOP.width + 0.5);
  expect(fitted.scale).toBeCloseTo(DESKTOP.width / 900, 2);
  await expect(level).toHaveText(`${Math.round(fitted.scale * 100)} %`);
  for (const button of [zoomOut, zoomIn, fit, actualSize, imageViewer(page, DIAGRAM_NAME).close]) {
    await expectInside(button, DESKTOP);
  }
  await screenshot(page, "image-viewer-desktop-1280x900", { fullPage: false });

  await zoomIn.click();
  const afterButton = await settledTransform(image);
  expect(afterButton.scale).toBeCloseTo(fitted.scale * 1.5, 2);
  await expect(level).toHaveText(`${Math.round(afterButton.scale * 100)} %`);

  // The keys work wherever focus is in the dialog, here still on the Zoom in button.
  await page.keyboard.press("+");
  const afterKey = await settledTransform(image);
  expect(afterKey.scale).toBeCloseTo(afterButton.scale * 1.5, 2);
  await page.keyboard.press("-");
  expect((await settledTransform(image)).scale).toBeCloseTo(afterButton.scale, 2);

  await surface.hover();
  await page.mouse.wheel(0, -100);
  const afterWheel = await settledTransform(image);
  expect(afterWheel.scale).toBeGreaterThan(afterButton.scale * 1.1);
  expect(afterWheel.scale).toBeLessThan(afterButton.scale * 1.5);

  // Drag to the left: the image follows the pointer.
  const beforeDrag = afterWheel;
  const centre = { x: DESKTOP.width / 2, y: DESKTOP.height / 2 };
  await page.mouse.move(centre.x, centre.y);
  await page.mouse.down();
  await page.mouse.move(centre.x - 250, centre.y - 60, { steps: 10 });
  await page.mouse.up();
  const afterDrag = await settledTransform(image);
  expect(afterDrag.scale).toBeCloseTo(beforeDrag.scale, 3);
  expect(afterDrag.x).toBeLessThan(beforeDrag.x - 150);
  await screenshot(page, "image-viewer-zoomed-desktop-1280x900", { fullPage: false });

  // Left arrow shows what is to the left: the image moves right.
  await page.keyboard.press("ArrowLeft");
  const afterArrow = await settledTransform(image);
  expect(afterArrow.x).toBeGreaterThan(afterDrag.x + 40);

  await page.keyboard.press("0");
  const refitted = await settledTransform(image);
  expect(refitted.scale).toBeCloseTo(fitted.scale, 3);
  expect(refitted.x).toBeCloseTo(fitted.x, 0);

  await actualSize.click();
  expect((await settledTransform(image)).scale).toBeCloseTo(1, 3);
  expect((await image.boundingBox())!.width).toBeCloseTo(900, 0);
  await expect(level).toHaveText("100 %");
  await fit.click();
  expect((await settledTransform(image)).scale).toBeCloseTo(fitted.scale, 3);
  await zoomOut.click();
  expect((await settledTransform(image)).scale).toBeCloseTo(fitted.scale / 1.5, 2);

  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(preview).toBeFocused();
});

test("the viewer opens from the keyboard and its Close button gives focus back to the preview", async ({ page }) => {
  await page.goto("/");
  const { upload, preview, task } = controls(page);
  await upload.setInputFiles(diagram);
  const { dialog, surface, close } = imageViewer(page, DIAGRAM_NAME);

  await preview.focus();
  await page.keyboard.press("Enter");
  await expect(dialog).toBeVisible();
  await expect(surface).toBeFocused();
  // Modal: Tab goes round the dialog's own controls (and out to the browser's, where the page has
  // no focus: document.body), never to the page behind it.
  const visited = new Set<string>();
  for (let presses = 0; presses < 9; presses++) {
    await page.keyboard.press("Tab");
    const focused = await dialog.evaluate((element) => {
      const active = document.activeElement;
      if (!active || active === document.body) return "browser";
      return element.contains(active) ? (active.getAttribute("aria-label") ?? active.textContent) : `outside: ${active.outerHTML.slice(0, 80)}`;
    });
    expect(focused).not.toMatch(/^outside/);
    visited.add(focused ?? "");
  }
  expect([...visited].sort()).toEqual(["100 %", "Close", DIAGRAM_NAME, "Fit to screen", "Zoom in", "Zoom out", "browser"].sort());
  await close.click();
  await expect(dialog).toBeHidden();
  await expect(preview).toBeFocused();

  await page.keyboard.press("Space");
  await expect(dialog).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(preview).toBeFocused();
  await expect(task).toBeEnabled();
});

test("a 6000 × 4000 px diagram opens fitted to the screen, and 100 % shows it pixel for pixel", async ({ page }) => {
  await page.goto("/");
  const { upload, preview, facts } = controls(page);
  await upload.setInputFiles(large);
  await expect(facts).toContainText("6000 × 4000 px");
  const { dialog, image, level, actualSize } = imageViewer(page, LARGE_NAME);

  await preview.click();
  await expect(dialog).toBeVisible();
  const fitted = await settledTransform(image);
  await expectInside(image, DESKTOP);
  expect(fitted.scale).toBeLessThan(0.22);
  await expect(level).toHaveText(`${Math.round(fitted.scale * 100)} %`);
  await screenshot(page, "image-viewer-large-fitted-desktop-1280x900", { fullPage: false });

  await actualSize.click();
  expect((await settledTransform(image)).scale).toBeCloseTo(1, 3);
  const box = (await image.boundingBox())!;
  expect(box.width).toBeCloseTo(6000, 0);
  // Centred on the middle of the diagram.
  expect(box.x + box.width / 2).toBeCloseTo(DESKTOP.width / 2, -1);
  await screenshot(page, "image-viewer-large-100-percent-desktop-1280x900", { fullPage: false });
});

test("Replace picks another file in place; Remove empties the picker and focuses the upload button", async ({ page }) => {
  await page.goto("/");
  const { upload, uploadButton, preview, previewImage, facts, replace, remove, error } = controls(page);
  await upload.setInputFiles(diagram);
  await expect(previewImage(DIAGRAM_NAME)).toBeVisible();
  const firstSource = await previewImage(DIAGRAM_NAME).getAttribute("src");

  const [chooser] = await Promise.all([page.waitForEvent("filechooser"), replace.click()]);
  await chooser.setFiles(widePath);
  await expect(previewImage(WIDE_NAME)).toBeVisible();
  await expect(previewImage(DIAGRAM_NAME)).toHaveCount(0);
  await expect(facts).toHaveText(`${formatBytes(wide.buffer.length)} · 1200 × 480 px`);
  expect(await previewImage(WIDE_NAME).getAttribute("src")).not.toBe(firstSource);
  await expect(preview).toHaveAccessibleName(`Click to zoom into ${WIDE_NAME}`);
  await expect(replace).toBeFocused();

  await remove.click();
  await expect(page.getByRole("img", { name: /^Preview of/ })).toHaveCount(0);
  await expect(facts).toHaveCount(0);
  await expect(uploadButton).toBeFocused();
  // Its name is all its visible text (axe's label-content-name-mismatch), the limits included.
  await expect(uploadButton).toHaveAccessibleName(/PNG or JPG, up to the server's size limit$/);
  await expect(error).toHaveCount(0);

  // The same file again, right after removing it.
  await upload.setInputFiles(diagram);
  await expect(previewImage(DIAGRAM_NAME)).toBeVisible();
});

test("on a phone the viewer fits the screen, keeps its controls on it, and follows dark mode", async ({ page }) => {
  await page.setViewportSize(PHONE);
  await page.goto("/");
  const { upload, preview } = controls(page);
  await upload.setInputFiles(diagram);
  await expect(preview).toBeVisible();
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await screenshot(page, "image-preview-phone-390x844");

  const { dialog, image, zoomIn, zoomOut, fit, actualSize, close, level } = imageViewer(page, DIAGRAM_NAME);
  await preview.click();
  await expect(dialog).toBeVisible();
  await settledTransform(image);
  await expectInside(image, PHONE);
  expect((await image.boundingBox())!.width).toBeCloseTo(PHONE.width, -1);
  for (const control of [zoomOut, level, zoomIn, fit, actualSize, close]) {
    await expectInside(control, PHONE);
  }
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, "page width beyond the 390 px viewport").toBe(0);
  expect(await backgroundLuminance(dialog)).toBeGreaterThan(0.8);
  await screenshot(page, "image-viewer-phone-390x844", { fullPage: false });

  await page.emulateMedia({ colorScheme: "dark" });
  expect(await backgroundLuminance(dialog)).toBeLessThan(0.05);
  expect(await backgroundLuminance(close)).toBeLessThan(0.05);
  await zoomIn.click();
  await settledTransform(image);
  await screenshot(page, "image-viewer-phone-390x844-dark", { fullPage: false });

  await page.setViewportSize(DESKTOP);
  await fit.click();
  await settledTransform(image);
  await expectInside(image, DESKTOP);
  await screenshot(page, "image-viewer-desktop-1280x900-dark", { fullPage: false });
});

test("on a touch screen a two-finger pinch zooms the viewer", async ({ browser }) => {
  const context = await browser.newContext({ viewport: PHONE, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  try {
    await page.goto("/");
    const { upload, preview } = controls(page);
    await upload.setInputFiles(diagram);
    await preview.tap();
    const { dialog, image } = imageViewer(page, DIAGRAM_NAME);
    await expect(dialog).toBeVisible();
    const before = await settledTransform(image);

    const box = (await image.boundingBox())!;
    const centre = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    const fingers = (spread: number) => [
      { x: centre.x - spread, y: centre.y, id: 0 },
      { x: centre.x + spread, y: centre.y, id: 1 },
    ];
    const cdp = await context.newCDPSession(page);
    await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: fingers(40) });
    for (let spread = 50; spread <= 120; spread += 10) {
      await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: fingers(spread) });
    }
    await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });

    const after = await settledTransform(image);
    expect(after.scale).toBeGreaterThan(before.scale * 2);
  } finally {
    await context.close();
  }
});

test("an image dropped beside the picker is picked too, instead of the browser opening it", async ({ page }) => {
  await page.goto("/");
  const { previewImage, facts } = controls(page);
  const files = await transferOf(page, [diagram]);
  const heading = page.getByRole("heading", { level: 1 });

  // A drop whose default is not prevented makes the browser open the file and leave the page.
  const notPrevented = (type: "dragover" | "drop") =>
    heading.evaluate(
      (element, { type, dataTransfer }) => element.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer })),
      { type, dataTransfer: files },
    );
  expect(await notPrevented("dragover"), "dragover beside the picker is taken").toBe(false);
  expect(await notPrevented("drop"), "drop beside the picker is taken").toBe(false);

  await expect(previewImage(DIAGRAM_NAME)).toBeVisible();
  await expect(facts).toContainText("900 × 360 px");
});
