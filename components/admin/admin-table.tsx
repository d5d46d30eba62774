import { useId, type ReactNode, type Ref } from "react";
import { formatWhen } from "@/components/admin/admin-format";

export interface AdminTableProps {
  /** Read out with the table, and names its scrolling region. */
  caption: string;
  /** The header row's cells: `<th scope="col">`. */
  head: ReactNode;
  children: ReactNode;
  /** Said in place of the table when it has no rows. */
  empty?: string;
  rowCount: number;
  regionRef?: Ref<HTMLDivElement>;
}

/**
 * A table of the admin page. On a narrow screen it scrolls sideways inside its own region, which
 * takes keyboard focus so the arrow keys scroll it too.
 */
export function AdminTable({ caption, head, children, empty, rowCount, regionRef }: AdminTableProps) {
  const captionId = useId();
  if (rowCount === 0 && empty) return <p className="text-sm text-muted-foreground">{empty}</p>;
  return (
    <div
      ref={regionRef}
      role="region"
      aria-labelledby={captionId}
      tabIndex={0}
      className="overflow-x-auto rounded-md border border-border focus-visible:outline-2 focus-visible:outline-ring"
    >
      <table className="w-full border-collapse text-left text-sm">
        <caption id={captionId} className="sr-only">
          {caption}
        </caption>
        <thead className="bg-muted text-xs text-muted-foreground">
          <tr>{head}</tr>
        </thead>
        <tbody className="divide-y divide-border">{children}</tbody>
      </table>
    </div>
  );
}

/** A column's header. */
export function ColumnHeader({ children, numeric = false }: { children: ReactNode; numeric?: boolean }) {
  return (
    <th scope="col" className={`px-3 py-2 font-medium whitespace-nowrap ${numeric ? "text-right" : ""}`}>
      {children}
    </th>
  );
}

/** The cell that names its row (a member's e-mail, a conversation's title). */
export function RowHeader({ children }: { children: ReactNode }) {
  return (
    <th scope="row" className="min-w-40 px-3 py-2 font-medium break-words">
      {children}
    </th>
  );
}

export function Cell({ children, numeric = false }: { children: ReactNode; numeric?: boolean }) {
  return <td className={`px-3 py-2 align-middle ${numeric ? "text-right tabular-nums whitespace-nowrap" : ""}`}>{children}</td>;
}

/** A time, in UTC; a dash when there is none. */
export function Timestamp({ iso }: { iso: string | null }) {
  if (!iso) return <span className="text-muted-foreground">—</span>;
  return (
    <time dateTime={iso} className="whitespace-nowrap">
      {formatWhen(iso)}
    </time>
  );
}

/** A small label beside a value: a role, a state, who can open a link. */
export function Badge({ children, tone = "muted" }: { children: ReactNode; tone?: "muted" | "danger" }) {
  const look = tone === "danger" ? "border border-danger/40 bg-danger/10 text-danger" : "bg-muted text-foreground";
  return <span className={`inline-block rounded px-1.5 py-0.5 text-xs whitespace-nowrap ${look}`}>{children}</span>;
}
