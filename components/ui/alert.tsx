import type { ReactNode } from "react";

/** A problem to read now (a refused image, a failed answer), announced as it appears. */
export function Alert({ children, "data-testid": testId }: { children: ReactNode; "data-testid"?: string }) {
  return (
    <p role="alert" data-testid={testId} className="rounded-md border border-danger/40 bg-danger/10 px-3 py-2 text-sm text-danger">
      {children}
    </p>
  );
}
