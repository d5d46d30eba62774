/** AUTH_MODE=none on a server that others can reach: say so, calmly, where everyone sees it. */
export function OpenServerNotice() {
  return (
    <p role="note" className="rounded-md border border-amber-500/40 bg-amber-500/10 px-3 py-2 text-sm text-foreground">
      Anyone who can reach this server can use it and read its history: sign-in is off (AUTH_MODE=none).
    </p>
  );
}
