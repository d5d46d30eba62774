import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Page } from "@playwright/test";
import { CONVERSATIONS_PAGE_SIZE } from "../../lib/shared/history-contract";
import * as gemini from "../helpers/fake-gemini";
import { APP_URL, E2E_MODEL } from "./e2e-env";
import { fakeModel } from "./fake-control";
import { analyze, controls, expect, PHONE, recordAnalyses, test } from "./page-helpers";
import { axeViolations, conversationBar, historyPanel, historyScreenshot, rewriteAnalyzeMeta, savedConversationId } from "./pages/history-page";

/**
 * The history: every answer is saved, each conversation has its own address that survives a
 * reload and goes on with follow-ups, the list beside it (a drawer on a phone) searches, renames
 * and deletes, and a share link shows a read-only copy to anyone until sharing stops.
 *
 * Every spec saves into the same server's history, one after another: these tests find their
 * conversations by a text of this run's own, and never count on the list holding only theirs.
 */

const RUN = randomBytes(3).toString("hex");
/** A task no other spec (or test) asks, so its conversation can be found by it. */
const task = (words: string, tag = RUN) => `${words} (${tag})`;

const THOUGHT = "**Reading the boxes**\n\nThree boxes joined left to right.";
const FIRST_ANSWER = "## Overview\n\nAPI Gateway hands each request to Lambda Functions, which store it in Amazon S3.";
const FOLLOW_UP = "What happens when Amazon S3 is slow?";
const SECOND_ANSWER = "Lambda Functions wait on S3 and time out; API Gateway returns 504 to the caller.";
const REGENERATED = "Lambda Functions retry with backoff; callers see higher latency, not errors.";

test.beforeEach(async () => {
  await fakeModel.reset();
});

/** Asks `text` about the diagram on the empty page and waits for the saved answer's address. */
async function askNew(page: Page, diagramPath: string, text: string): Promise<string> {
  await analyze(page, diagramPath, text);
  await expect(controls(page).answer.getByTestId("answer-status")).toHaveText("Done");
  return savedConversationId(page);
}

test("an answer gets its own address; a reload shows it as it was, a follow-up goes on with it, and Regenerate replaces the saved turn", async ({
  page,
  pageProblems,
  diagramPath,
}) => {
  const TASK = task("Explain this architecture");
  await fakeModel.reply([gemini.thinkingReply([THOUGHT], [FIRST_ANSWER]), gemini.textReply([SECOND_ANSWER]), gemini.textReply([REGENERATED])]);
  await page.goto("/");
  const { answer, turns, followUpTask, ask } = controls(page);
  const sent = recordAnalyses(page);

  const id = await askNew(page, diagramPath, TASK);
  await expect(conversationBar(page).title).toHaveText(TASK);
  // Newest first: the conversation just saved leads the list.
  await expect(historyPanel(page).titles.first()).toHaveText(TASK);
  await expect(historyPanel(page).open(TASK)).toHaveAttribute("aria-current", "page");

  // Back returns to the empty page the question was asked from; Forward to the conversation.
  await page.goBack();
  await expect(page).toHaveURL(`${APP_URL}/`);
  await expect(turns).toHaveCount(0);
  await page.goForward();
  await expect(page).toHaveURL(`${APP_URL}/c/${id}`);
  await expect(answer.getByTestId("answer-text")).toContainText("store it in Amazon S3");

  await page.reload();
  await expect(turns).toHaveCount(1);
  await expect(answer.getByRole("heading", { name: `Question 1: ${TASK}` })).toBeVisible();
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  await expect(answer.getByTestId("answer-text").getByRole("heading", { name: "Overview" })).toBeVisible();
  await expect(answer.getByTestId("answer-text")).toContainText("store it in Amazon S3");
  // The reasoning is kept, folded away as it is once an answer has begun.
  await expect(answer.getByTestId("reasoning")).not.toHaveAttribute("open");
  await expect(answer.getByTestId("answer-footer")).toContainText(`Answered by Gemini · ${E2E_MODEL}`);
  await expect(answer.getByTestId("answer-footer")).toContainText("image sent 900 × 360 px");
  // The image is the server's saved copy: there is no file here any more.
  const image = page.getByRole("img", { name: `Preview of ${TASK}` });
  await expect(image).toBeVisible();
  expect(await image.evaluate((element: HTMLImageElement) => element.naturalWidth)).toBe(900);

  // A follow-up after the reload names the conversation: the server has the image and the turns.
  await followUpTask.fill(FOLLOW_UP);
  await ask.click();
  await expect(turns).toHaveCount(2);
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  await expect(answer.getByTestId("answer-text")).toHaveText(SECOND_ANSWER);
  expect(sent[1]!.fields).toEqual(["prompt", "provider", "conversationId"]);
  expect(await sent[1]!.request.postData()).toContain(id);

  // Regenerate sends the saved turn's id: the server answers it again in its place.
  await answer.getByRole("button", { name: "Regenerate" }).click();
  await expect(answer.getByTestId("answer-text")).toHaveText(REGENERATED);
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  expect(sent[2]!.fields).toEqual(["prompt", "provider", "conversationId", "replaceTurnId"]);

  const requests = await fakeModel.requests();
  expect(requests).toHaveLength(3);
  // The model got the saved turn as history, and the saved image, each time.
  for (const request of requests.slice(1)) {
    expect(request).toMatchObject({
      turns: [{ role: "user", text: TASK }, { role: "model", text: FIRST_ANSWER }, { role: "user", text: FOLLOW_UP }],
      imageCount: 1,
      image: requests[0]!.image,
    });
  }

  await page.reload();
  await expect(turns).toHaveCount(2);
  await expect(answer.getByTestId("answer-text")).toHaveText(REGENERATED);
  pageProblems.expectNone();
});

test("the list: newest first, searched as you type, renamed in place, deleted after a confirmation", async ({ page, pageProblems, diagramPath }) => {
  // This test's own word: the other tests' conversations share RUN.
  const TAG = `list${RUN}`;
  const OLDER = task("List every component and its role", TAG);
  const NEWER = task("Review security", TAG);
  const RENAMED = task("Component inventory", TAG);
  await fakeModel.reply([gemini.textReply(["Three components."]), gemini.textReply(["No authentication on the gateway."])]);
  await page.goto("/");
  const panel = historyPanel(page);
  const olderId = await askNew(page, diagramPath, OLDER);
  await panel.newConversation.click();
  await expect(page).toHaveURL(`${APP_URL}/`);
  // A new conversation starts from an empty form.
  await expect(controls(page).turns).toHaveCount(0);
  await expect(controls(page).task).toHaveValue("");
  await askNew(page, diagramPath, NEWER);

  // Search as you type: one request once typing pauses, not one per key.
  const searches: string[] = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname === "/api/conversations" && url.searchParams.has("q")) searches.push(url.searchParams.get("q")!);
  });
  const searched = page.waitForResponse((response) => new URL(response.url()).searchParams.get("q") === TAG);
  await panel.search.pressSequentially(TAG, { delay: 40 });
  await searched;
  await expect(panel.list).toHaveAttribute("aria-busy", "false");
  await expect(panel.titles).toHaveText([NEWER, OLDER]);
  expect(searches.filter((query) => query !== TAG), "searches for the text as it was being typed").toEqual([]);
  await panel.search.fill(`component ${TAG}`);
  await expect(panel.titles).toHaveText([OLDER]);
  await panel.search.fill(`no such words ${TAG}`);
  await expect(panel.status).toHaveText(`No conversation matches “no such words ${TAG}”.`);
  await panel.search.fill(TAG);
  await expect(panel.titles).toHaveText([NEWER, OLDER]);
  await page.screenshot({ path: historyScreenshot("panel"), fullPage: false, animations: "disabled" });

  // Rename in place: Esc leaves the title as it was, Enter saves it.
  await panel.rename(OLDER).click();
  const titleBox = panel.root.getByRole("textbox", { name: "New title" });
  await expect(titleBox).toBeFocused();
  await titleBox.fill("Not this one");
  await titleBox.press("Escape");
  await expect(panel.rename(OLDER)).toBeFocused();
  await panel.rename(OLDER).click();
  await titleBox.fill(RENAMED);
  await titleBox.press("Enter");
  await expect(panel.titles).toHaveText([NEWER, RENAMED]);
  await expect(panel.rename(RENAMED)).toBeFocused();
  // Saved: opening it shows the new title.
  await panel.open(RENAMED).click();
  await expect(page).toHaveURL(`${APP_URL}/c/${olderId}`);
  await expect(conversationBar(page).title).toHaveText(RENAMED);

  // Delete asks first, in place; Cancel (where focus goes) keeps it.
  await panel.remove(NEWER).click();
  const confirmation = panel.root.getByRole("group", { name: `Delete “${NEWER}”?` });
  await expect(confirmation).toContainText("This cannot be undone.");
  await expect(confirmation.getByRole("button", { name: "Cancel" })).toBeFocused();
  await confirmation.getByRole("button", { name: "Cancel" }).click();
  await expect(confirmation).toBeHidden();
  await expect(panel.titles).toHaveText([NEWER, RENAMED]);
  await panel.remove(NEWER).click();
  await confirmation.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(panel.titles).toHaveText([RENAMED]);
  // The conversation on the page was another one: it stays.
  await expect(page).toHaveURL(`${APP_URL}/c/${olderId}`);

  // Deleting the one on the page leaves for the empty page.
  await panel.remove(RENAMED).click();
  await panel.root.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(page).toHaveURL(`${APP_URL}/`);
  await expect(panel.status).toHaveText(`No conversation matches “${TAG}”.`);
  await expect(controls(page).turns).toHaveCount(0);
  pageProblems.expectNone();
});

test("a long history comes a page at a time: Load more brings the older ones", async ({ page, pageProblems, diagramPath }) => {
  const TAG = `more${RUN}`;
  const count = CONVERSATIONS_PAGE_SIZE + 2;
  // Saved the quick way, by the API the page uses, each answered by the fake's default reply.
  const image = await readFile(diagramPath);
  for (let index = 1; index <= count; index++) {
    const response = await page.request.post("/api/analyze", {
      multipart: { prompt: `Question ${index} (${TAG})`, image: { name: "diagram.png", mimeType: "image/png", buffer: image } },
    });
    expect(response.status()).toBe(200);
    await response.body();
  }
  await page.goto("/");
  const panel = historyPanel(page);
  const searched = page.waitForResponse((response) => new URL(response.url()).searchParams.get("q") === TAG);
  await panel.search.fill(TAG);
  await searched;
  await expect(panel.list).toHaveAttribute("aria-busy", "false");
  await expect(panel.items).toHaveCount(CONVERSATIONS_PAGE_SIZE);
  await expect(panel.titles.first()).toHaveText(`Question ${count} (${TAG})`);
  await panel.loadMore.click();
  await expect(panel.items).toHaveCount(count);
  await expect(panel.titles.last()).toHaveText(`Question 1 (${TAG})`);
  await expect(panel.loadMore).toBeHidden();
  pageProblems.expectNone();
});

test("Back and Forward move between two conversations and the empty page", async ({ page, pageProblems, diagramPath }) => {
  const FIRST = task("Find single points of failure and risks");
  const SECOND = task("Redraw as a Mermaid diagram");
  await fakeModel.reply([gemini.textReply(["The gateway is a single point of failure."]), gemini.textReply(["A redraw, in words."])]);
  await page.goto("/");
  const { answer, turns } = controls(page);
  const panel = historyPanel(page);
  const firstId = await askNew(page, diagramPath, FIRST);
  await panel.newConversation.click();
  const secondId = await askNew(page, diagramPath, SECOND);
  await panel.open(FIRST).click();
  await expect(page).toHaveURL(`${APP_URL}/c/${firstId}`);
  await expect(answer.getByTestId("answer-text")).toHaveText("The gateway is a single point of failure.");

  const shows = async (path: string, text: string | null) => {
    await expect(page).toHaveURL(`${APP_URL}${path}`);
    if (text === null) await expect(turns).toHaveCount(0);
    else await expect(answer.getByTestId("answer-text")).toHaveText(text);
  };
  await page.goBack();
  await shows(`/c/${secondId}`, "A redraw, in words.");
  await page.goBack();
  await shows("/", null);
  await page.goBack();
  await shows(`/c/${firstId}`, "The gateway is a single point of failure.");
  await page.goForward();
  await shows("/", null);
  await page.goForward();
  await shows(`/c/${secondId}`, "A redraw, in words.");
  await page.goForward();
  await shows(`/c/${firstId}`, "The gateway is a single point of failure.");
  pageProblems.expectNone();
});

test("Share copies a link that shows a read-only copy in any browser, with no indexing and no referrer; Stop sharing makes it a 404", async ({
  page,
  context,
  browser,
  pageProblems,
  diagramPath,
}) => {
  const TASK = task("Explain this architecture for a new teammate");
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: APP_URL });
  await fakeModel.reply([gemini.thinkingReply([THOUGHT], [FIRST_ANSWER])]);
  await page.goto("/");
  await askNew(page, diagramPath, TASK);
  const bar = conversationBar(page);
  await expect(bar.stopSharing).toBeHidden();
  await bar.share.click();
  await expect(bar.shareStatus).toHaveText("Link copied: anyone with it can read this conversation.");
  const link = await page.evaluate(() => navigator.clipboard.readText());
  expect(link).toMatch(new RegExp(`^${APP_URL}/s/[A-Za-z0-9_-]{43}$`));
  await expect(bar.stopSharing).toBeVisible();
  await expect(historyPanel(page).item(TASK)).toContainText("Shared");

  // Someone else, in a browser that has never seen this server.
  const reader = await browser.newContext();
  const shared = await reader.newPage();
  const response = (await shared.goto(link))!;
  expect(response.status()).toBe(200);
  expect(response.headers()["x-robots-tag"]).toContain("noindex");
  expect(response.headers()["referrer-policy"]).toBe("no-referrer");
  expect(await response.text()).toMatch(/<meta name="robots" content="noindex, nofollow"\/?>/);
  await expect(shared.getByRole("heading", { level: 1 })).toHaveText(TASK);
  const image = shared.getByRole("img", { name: `The diagram of “${TASK}”` });
  await expect(image).toBeVisible();
  expect(await image.evaluate((element: HTMLImageElement) => element.naturalWidth)).toBe(900);
  const answer = shared.getByTestId("turn");
  await expect(answer.getByRole("heading", { name: `Question 1: ${TASK}` })).toBeVisible();
  await expect(answer.getByTestId("answer-text")).toContainText("store it in Amazon S3");
  await expect(answer.getByTestId("reasoning")).not.toHaveAttribute("open");
  // Read-only: nothing to ask, no history, no form.
  await expect(shared.getByRole("textbox")).toHaveCount(0);
  await expect(shared.getByRole("form")).toHaveCount(0);
  await expect(shared.getByRole("complementary", { name: "History" })).toHaveCount(0);
  await expect(shared.getByRole("button", { name: /Regenerate|Retry|Share/ })).toHaveCount(0);
  expect(await axeViolations(shared)).toEqual([]);
  await shared.screenshot({ path: historyScreenshot("shared-page"), fullPage: true, animations: "disabled" });
  await shared.emulateMedia({ colorScheme: "dark" });
  expect(await axeViolations(shared)).toEqual([]);
  await shared.screenshot({ path: historyScreenshot("shared-page-dark"), fullPage: true, animations: "disabled" });

  await bar.stopSharing.click();
  await expect(bar.shareStatus).toHaveText("Sharing stopped: links to this conversation no longer work.");
  await expect(bar.stopSharing).toBeHidden();
  const revoked = (await shared.goto(link))!;
  expect(revoked.status()).toBe(404);
  await expect(shared.getByRole("heading", { level: 1 })).toHaveText("This link was revoked or never existed");
  await expect(shared.getByText("store it in Amazon S3")).toHaveCount(0);
  expect((await shared.request.get(`${link}/image`)).status()).toBe(404);
  await shared.emulateMedia({ colorScheme: "light" });
  await shared.screenshot({ path: historyScreenshot("revoked-link"), animations: "disabled" });
  await reader.close();
  pageProblems.expectNone();
});

test("when the browser refuses the clipboard, the link is shown selected, to copy by hand", async ({ page, pageProblems, diagramPath }) => {
  await page.addInitScript(() => {
    Object.defineProperty(navigator, "clipboard", { value: { writeText: () => Promise.reject(new DOMException("Denied", "NotAllowedError")) } });
  });
  await fakeModel.reply([gemini.textReply([FIRST_ANSWER])]);
  await page.goto("/");
  await askNew(page, diagramPath, task("Explain the request path"));
  const bar = conversationBar(page);
  await bar.share.click();
  await expect(bar.shareStatus).toHaveText("Copy this link: anyone with it can read this conversation.");
  await expect(bar.shareLink).toBeFocused();
  await expect(bar.shareLink).toHaveValue(new RegExp(`^${APP_URL}/s/[A-Za-z0-9_-]{43}$`));
  const selected = await bar.shareLink.evaluate((input: HTMLInputElement) => input.value.slice(input.selectionStart ?? 0, input.selectionEnd ?? 0));
  expect(selected).toBe(await bar.shareLink.inputValue());
  pageProblems.expectNone();
});

test("Export downloads the whole conversation as Markdown and as JSON", async ({ page, pageProblems, diagramPath }) => {
  const TASK = task("Explain the storage");
  await fakeModel.reply([gemini.textReply([FIRST_ANSWER])]);
  await page.goto("/");
  const id = await askNew(page, diagramPath, TASK);
  const bar = conversationBar(page);
  const [markdown] = await Promise.all([page.waitForEvent("download"), bar.exportMarkdown.click()]);
  expect(markdown.suggestedFilename()).toMatch(/\.md$/);
  const markdownText = await (await markdown.createReadStream()).toArray();
  expect(Buffer.concat(markdownText).toString("utf8")).toContain("store it in Amazon S3");
  const [json] = await Promise.all([page.waitForEvent("download"), bar.exportJson.click()]);
  expect(json.suggestedFilename()).toMatch(/\.json$/);
  const exported = JSON.parse(Buffer.concat(await (await json.createReadStream()).toArray()).toString("utf8")) as { id: string; title: string };
  expect(exported).toMatchObject({ id, title: TASK });
  pageProblems.expectNone();
});

test("Delete all history asks first, then empties the list and the page", async ({ page, pageProblems, diagramPath }) => {
  await fakeModel.reply([gemini.textReply(["An answer to delete."])]);
  await page.goto("/");
  await askNew(page, diagramPath, task("Explain before deleting everything"));
  const panel = historyPanel(page);
  await panel.deleteAll.click();
  const confirmation = panel.root.getByRole("group", { name: "Delete all history?" });
  await expect(confirmation.getByRole("button", { name: "Cancel" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(confirmation).toBeHidden();
  await expect(panel.deleteAll).toBeFocused();
  await expect(panel.items).not.toHaveCount(0);

  await panel.deleteAll.click();
  await confirmation.getByRole("button", { name: "Delete all" }).click();
  await expect(panel.items).toHaveCount(0);
  await expect(panel.status).toHaveText("No conversations yet. Each question you ask is saved here.");
  await expect(page).toHaveURL(`${APP_URL}/`);
  await expect(controls(page).turns).toHaveCount(0);
  await expect(panel.deleteAll).toBeDisabled();
  pageProblems.expectNone();
});

test("an address of a conversation that does not exist says so, with a way to start anew", async ({ page, pageProblems }) => {
  await page.goto("/c/no-such-conversation-0123");
  await expect(page.getByRole("heading", { name: "This conversation does not exist or was deleted" })).toBeVisible();
  expect(pageProblems.failedResponses).toEqual([`404 ${APP_URL}/api/conversations/no-such-conversation-0123`]);
  await page.getByRole("link", { name: "Start a new conversation" }).click();
  await expect(page).toHaveURL(`${APP_URL}/`);
  await expect(controls(page).form).toBeVisible();
  expect(pageProblems.consoleErrors).toEqual([]);
});

test("a saved answer keeps how it ended: stopped, failed with its error, cut off when the server stopped mid-answer", async ({
  page,
  pageProblems,
  diagramPath,
}) => {
  await fakeModel.reply([
    gemini.textReply(["## Overview\n\n", "Requests enter through API Gateway. ", "Never shown."], { holdAfter: 2 }),
    gemini.textReply(["Lambda Functions write ", "to S3."], { holdAfter: 1, dropAfter: true, finishReason: "" }),
  ]);
  await page.goto("/");
  const { answer, turns, stop, followUpTask, ask } = controls(page);
  await analyze(page, diagramPath, task("Explain, then stop"));
  await expect(answer.getByTestId("answer-text")).toContainText("Requests enter through API Gateway.");
  await stop.click();
  await expect(answer.getByTestId("answer-status")).toHaveText("Stopped");
  const id = await savedConversationId(page);
  await followUpTask.fill("And the functions?");
  await ask.click();
  // The model's connection breaks after the first words: the answer fails, keeping them.
  await expect(answer.getByTestId("answer-text")).toHaveText("Lambda Functions write");
  await fakeModel.release();
  await expect(answer.getByTestId("answer-status")).toHaveText("Stopped by an error");
  const error = await answer.getByRole("alert").textContent();

  await page.reload();
  await expect(turns).toHaveCount(2);
  const [stopped, failed] = [turns.nth(0), turns.nth(1)];
  await expect(stopped.getByTestId("answer-status")).toHaveText("Stopped");
  await expect(stopped.getByTestId("answer-text")).toContainText("Requests enter through API Gateway.");
  await expect(stopped.getByTestId("stopped-note")).toHaveText("Stopped before the answer was finished.");
  await expect(failed.getByTestId("answer-status")).toHaveText("Stopped by an error");
  await expect(failed.getByTestId("answer-text")).toContainText("Lambda Functions write");
  await expect(failed.getByRole("alert")).toHaveText(error!);

  // A server that died mid-answer leaves the turn "incomplete": played here by the API's answer.
  await page.route(`**/api/conversations/${id}`, async (route) => {
    const response = await route.fetch();
    const conversation = (await response.json()) as { turns: Array<{ status: string }> };
    conversation.turns[0]!.status = "incomplete";
    await route.fulfill({ response, json: conversation });
  });
  await page.reload();
  await expect(stopped.getByTestId("answer-status")).toHaveText("Cut off");
  await expect(stopped.getByTestId("answer-text")).toContainText("Requests enter through API Gateway.");
  await expect(stopped.getByTestId("cut-off-note")).toHaveText(
    "The answer was cut off: the server stopped while it was being written. What was saved is shown above.",
  );
  pageProblems.expectNone();
});

test("an answer the server could not save says so under it, politely, and goes on", async ({ page, pageProblems, diagramPath }) => {
  const NOTICE = "This answer is not being saved: the history database did not answer. Copy the text if you need it.";
  await fakeModel.reply([gemini.textReply([FIRST_ANSWER])]);
  // The database failing is the server's to test; here its event is added to a real stream.
  await rewriteAnalyzeMeta(page, { dropSavedIds: true, unsavedMessage: NOTICE });
  await page.goto("/");
  await analyze(page, diagramPath, task("Explain without saving"));
  const { answer } = controls(page);
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  await expect(answer.getByTestId("answer-text")).toContainText("store it in Amazon S3");
  const note = answer.getByTestId("unsaved-note");
  await expect(note).toHaveText(NOTICE);
  await expect(note).toHaveRole("status");
  // Not saved, so it has no address of its own.
  await expect(page).toHaveURL(`${APP_URL}/`);
  await expect(conversationBar(page).title).toBeHidden();
  pageProblems.expectNone();
});

test("on a phone the history is a drawer: it opens, holds focus, closes with Esc, and opens a conversation", async ({ page, pageProblems, diagramPath }) => {
  const TASK = task("Explain on a phone");
  await fakeModel.reply([gemini.textReply([FIRST_ANSWER])]);
  await page.setViewportSize(PHONE);
  await page.goto("/");
  await askNew(page, diagramPath, TASK);
  await expect(page.getByRole("complementary", { name: "History" })).toBeHidden();
  const opener = page.getByRole("button", { name: "History", exact: true });

  await opener.click();
  const drawer = historyPanel(page, "drawer");
  await expect(drawer.root).toBeVisible();
  await expect(drawer.close).toBeFocused();
  await expect(drawer.titles.first()).toHaveText(TASK);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
  expect(await axeViolations(page)).toEqual([]);
  await page.screenshot({ path: historyScreenshot("drawer-phone"), animations: "disabled" });
  await page.emulateMedia({ colorScheme: "dark" });
  expect(await axeViolations(page)).toEqual([]);
  await page.screenshot({ path: historyScreenshot("drawer-phone-dark"), animations: "disabled" });
  await page.emulateMedia({ colorScheme: "light" });
  // The page behind the modal drawer is inert: Tab never reaches it.
  for (let step = 0; step < 12; step++) {
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.querySelector("main")!.contains(document.activeElement) && !document.querySelector("dialog")!.contains(document.activeElement))).toBe(false);
  }

  await page.keyboard.press("Escape");
  await expect(drawer.root).toBeHidden();
  await expect(opener).toBeFocused();

  // New conversation from the drawer, then back to the saved one through it.
  await opener.click();
  await drawer.newConversation.click();
  await expect(drawer.root).toBeHidden();
  await expect(page).toHaveURL(`${APP_URL}/`);
  await opener.click();
  await drawer.open(TASK).click();
  await expect(drawer.root).toBeHidden();
  await expect(controls(page).answer.getByTestId("answer-text")).toContainText("store it in Amazon S3");
  await page.screenshot({ path: historyScreenshot("saved-conversation-phone"), fullPage: true, animations: "disabled" });
  pageProblems.expectNone();
});

test("axe finds no problems in the history column and a saved conversation, light and dark", async ({ page, diagramPath }) => {
  await fakeModel.reply([gemini.thinkingReply([THOUGHT], [FIRST_ANSWER])]);
  await page.goto("/");
  await askNew(page, diagramPath, task("Explain for the accessibility scan"));
  await page.reload();
  await expect(controls(page).answer.getByTestId("answer-status")).toHaveText("Done");
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    expect(await axeViolations(page), colorScheme).toEqual([]);
    await page.screenshot({ path: historyScreenshot(`saved-conversation-${colorScheme}`), animations: "disabled" });
  }
});
