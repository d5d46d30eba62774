"use client";

import { useEffect, useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ApiRequestError } from "@/lib/client/api-request";
import { shareConversation, stopSharing } from "@/lib/client/history-api";
import type { Viewer } from "@/lib/shared/auth";
import type { ShareVisibility } from "@/lib/shared/history-contract";

export type ShareState =
  | { kind: "idle" }
  | { kind: "working" }
  | { kind: "copied"; visibility: ShareVisibility }
  /** The browser refused the clipboard (plain http, a denied permission): the link is shown to copy by hand. */
  | { kind: "shown"; url: string; visibility: ShareVisibility }
  | { kind: "stopped" }
  | { kind: "failed"; message: string };

export interface ShareLinkControls {
  state: ShareState;
  /** Who the next link is for: the team unless the person chooses public, where the server allows it. */
  visibility: ShareVisibility;
  setVisibility(visibility: ShareVisibility): void;
  share(): void;
  stop(): void;
}

const describe = (error: unknown) => (error instanceof ApiRequestError ? error.message : "That did not work. Please try again.");

/** Share makes a read-only link and copies it; Stop sharing makes every link to the conversation stop working. */
export function useShareLink(conversationId: string, onSharedChange: (shared: boolean) => void): ShareLinkControls {
  const [state, setState] = useState<ShareState>({ kind: "idle" });
  const [visibility, setVisibility] = useState<ShareVisibility>("team");
  const share = async () => {
    setState({ kind: "working" });
    try {
      const { url } = await shareConversation(conversationId, visibility);
      onSharedChange(true);
      try {
        await navigator.clipboard.writeText(url);
        setState({ kind: "copied", visibility });
      } catch {
        setState({ kind: "shown", url, visibility });
      }
    } catch (error) {
      setState({ kind: "failed", message: describe(error) });
    }
  };
  const stop = async () => {
    setState({ kind: "working" });
    try {
      await stopSharing(conversationId);
      onSharedChange(false);
      setState({ kind: "stopped" });
    } catch (error) {
      setState({ kind: "failed", message: describe(error) });
    }
  };
  return { state, visibility, setVisibility, share: () => void share(), stop: () => void stop() };
}

export function ShareButtons({ controls, shared, viewer }: { controls: ShareLinkControls; shared: boolean; viewer: Viewer }) {
  const working = controls.state.kind === "working";
  return (
    <>
      {viewer.sharePublic && (
        <select
          aria-label="Who can open the link"
          value={controls.visibility}
          onChange={(event) => controls.setVisibility(event.currentTarget.value as ShareVisibility)}
          disabled={working}
          className="h-9 rounded-md border border-input bg-background px-2 text-sm focus-visible:outline-2 focus-visible:outline-ring"
        >
          <option value="team">Signed-in team members</option>
          <option value="public">Anyone with the link</option>
        </select>
      )}
      <Button onClick={controls.share} disabled={working}>
        Share
      </Button>
      {shared && (
        <Button onClick={controls.stop} disabled={working}>
          Stop sharing
        </Button>
      )}
    </>
  );
}

/** Who can read through a link, in the page's words: on a server without sign-in, whoever can reach it. */
function readersOf(visibility: ShareVisibility, viewer: Viewer): string {
  if (visibility === "public" || viewer.mode === "none") return "anyone with it can read this conversation";
  return "team members who are signed in can read this conversation";
}

/** What sharing did: always on the page, so that what it says is announced when it changes. */
export function ShareMessages({ state, viewer }: { state: ShareState; viewer: Viewer }) {
  return (
    <>
      <p role="status" className="mt-2 text-sm text-muted-foreground empty:mt-0" data-testid="share-status">
        {state.kind === "copied" && `Link copied: ${readersOf(state.visibility, viewer)}.`}
        {state.kind === "shown" && `Copy this link: ${readersOf(state.visibility, viewer)}.`}
        {state.kind === "stopped" && "Sharing stopped: links to this conversation no longer work."}
      </p>
      {state.kind === "shown" && <ShownLink url={state.url} />}
      {state.kind === "failed" && (
        <div className="mt-2">
          <Alert>{state.message}</Alert>
        </div>
      )}
    </>
  );
}

/** The link, selected, for Ctrl/Cmd+C when the page may not write to the clipboard. */
function ShownLink({ url }: { url: string }) {
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, [url]);
  return (
    <input
      ref={input}
      readOnly
      value={url}
      aria-label="Share link"
      onFocus={(event) => event.currentTarget.select()}
      className="mt-2 w-full rounded-md border border-input bg-background px-2 py-1 font-mono text-sm focus-visible:outline-2 focus-visible:outline-ring"
    />
  );
}
