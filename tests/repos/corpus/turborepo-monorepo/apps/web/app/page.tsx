import { Button } from "@acme/ui";

export default function Page() {
  return <Button>Sign in</Button>;
}
