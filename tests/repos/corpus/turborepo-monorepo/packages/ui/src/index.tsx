import * as React from "react";

export function Button(props: React.ButtonHTMLAttributes<HTMLButtonElement>) {
  return <button className="rounded-md px-4 py-2" {...props} />;
}
