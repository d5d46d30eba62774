/**
 * AUTH_MODE=proxy: this server never asks for a password; the team's reverse proxy signs people in
 * and passes who they are. Someone who sees this page came through without that.
 */
export function ProxySignInNote({ headerName }: { headerName: string }) {
  return (
    <div className="flex flex-col gap-3 text-sm">
      <p>You sign in to this server at your team&apos;s sign-in page (its reverse proxy), not here.</p>
      <p className="text-muted-foreground">
        If you see this page, the proxy did not pass on who you are. Open the server through its usual address, so the proxy can sign you in. If that is
        what you did, ask whoever runs it to check that the proxy sends your e-mail in the <code className="rounded bg-muted px-1 py-0.5 text-xs">{headerName}</code>{" "}
        header.
      </p>
    </div>
  );
}
