import AxeBuilder from "@axe-core/playwright";
import type { Locator, Page } from "@playwright/test";
import { expect } from "../page-helpers";

/**
 * The history's parts as a person finds them (by role and name): the side column on a wide
 * screen, the drawer on a narrow one, and a saved conversation's title bar with Share and Export.
 */

/** The saved conversations' address: /c/<id>. */
export const CONVERSATION_URL = /\/c\/([A-Za-z0-9_-]{10,64})$/;

export function historyPanel(page: Page, where: "column" | "drawer" = "column") {
  const root: Locator = where === "column" ? page.getByRole("complementary", { name: "History" }) : page.getByRole("dialog", { name: "History" });
  const item = (title: string) => root.getByTestId("history-item").filter({ has: page.getByTestId("history-title").getByText(title, { exact: true }) });
  return {
    root,
    newConversation: root.getByRole("button", { name: "New conversation" }),
    search: root.getByRole("searchbox", { name: "Search conversations" }),
    status: root.getByTestId("history-status"),
    /** Busy while a search is on its way. */
    list: root.getByRole("list", { name: "Saved conversations" }),
    /** Every listed conversation, newest first. */
    items: root.getByTestId("history-item"),
    titles: root.getByTestId("history-title"),
    item,
    open: (title: string) => item(title).getByRole("link"),
    rename: (title: string) => root.getByRole("button", { name: `Rename “${title}”` }),
    remove: (title: string) => root.getByRole("button", { name: `Delete “${title}”` }),
    deleteAll: root.getByRole("button", { name: "Delete all history" }),
    loadMore: root.getByRole("button", { name: "Load more" }),
    close: root.getByRole("button", { name: "Close history" }),
  };
}

/** The saved conversation's bar above its turns. */
export function conversationBar(page: Page) {
  const conversation = page.getByRole("region", { name: "Conversation" });
  return {
    title: page.getByTestId("conversation-title"),
    share: conversation.getByRole("button", { name: "Share", exact: true }),
    /** Offered only where SHARE_PUBLIC is on. */
    shareAudience: conversation.getByRole("combobox", { name: "Who can open the link" }),
    stopSharing: conversation.getByRole("button", { name: "Stop sharing" }),
    shareStatus: page.getByTestId("share-status"),
    shareLink: conversation.getByRole("textbox", { name: "Share link" }),
    exportMarkdown: conversation.getByRole("link", { name: "Export .md" }),
    exportJson: conversation.getByRole("link", { name: "Export .json" }),
  };
}

/** The id in the page's address, once it is a saved conversation's. */
export async function savedConversationId(page: Page): Promise<string> {
  await expect(page).toHaveURL(CONVERSATION_URL);
  return CONVERSATION_URL.exec(new URL(page.url()).pathname)![1]!;
}

/** What axe finds wrong on the page as it is now, WCAG 2.2's 24 px touch targets included. */
export async function axeViolations(page: Page) {
  const results = await new AxeBuilder({ page }).options({ rules: { "target-size": { enabled: true } } }).analyze();
  return results.violations.map(({ id, help, nodes }) => ({ id, help, targets: nodes.map((node) => node.target.join(" ")) }));
}

/** Where `page.screenshot` files of this spec go: test-results/history-<name>.png. */
export function historyScreenshot(name: string): string {
  return `test-results/history-${name}.png`;
}

export interface MetaRewrite {
  /** The meta as from a server that could not save: no conversation or turn id. */
  dropSavedIds?: boolean;
  /** An `unsaved` event after the meta, with this message. */
  unsavedMessage?: string;
}

/**
 * Rewrites the `meta` event of the page's next `times` answers as the page reads them, to show it
 * what a server whose history database fails would send; the server's own side of that is its
 * tests'. In the page, not by routing: Chromium gives a route no body of a request that holds a
 * file, so the question could not be passed on.
 */
export async function rewriteAnalyzeMeta(page: Page, rewrite: MetaRewrite, times = 1) {
  await page.addInitScript(
    ({ rewrite, times }) => {
      const responseText = Object.getOwnPropertyDescriptor(XMLHttpRequest.prototype, "responseText")!;
      const open = XMLHttpRequest.prototype.open as (this: XMLHttpRequest, ...args: unknown[]) => void;
      const rewritten = new WeakSet<XMLHttpRequest>();
      let left = times;
      XMLHttpRequest.prototype.open = function (this: XMLHttpRequest, ...args: unknown[]) {
        if (args[0] === "POST" && String(args[1]).endsWith("/api/analyze") && left > 0) {
          left--;
          rewritten.add(this);
        }
        open.apply(this, args);
      };
      Object.defineProperty(XMLHttpRequest.prototype, "responseText", {
        configurable: true,
        get(this: XMLHttpRequest) {
          const text = responseText.get!.call(this) as string;
          if (!rewritten.has(this)) return text;
          const start = text.indexOf("event: meta\n");
          if (start === -1) return text;
          const end = text.indexOf("\n\n", start);
          // Held back until the whole event has arrived, so each text read is a prefix of the next.
          if (end === -1) return text.slice(0, start);
          const block = text.slice(start, end);
          const meta = JSON.parse(block.slice(block.indexOf("data: ") + "data: ".length)) as Record<string, unknown>;
          if (rewrite.dropSavedIds) {
            delete meta.conversationId;
            delete meta.turnId;
          }
          let events = `event: meta\ndata: ${JSON.stringify(meta)}\n\n`;
          if (rewrite.unsavedMessage) events += `event: unsaved\ndata: ${JSON.stringify({ message: rewrite.unsavedMessage })}\n\n`;
          return text.slice(0, start) + events + text.slice(end + 2);
        },
      });
    },
    { rewrite, times },
  );
}
