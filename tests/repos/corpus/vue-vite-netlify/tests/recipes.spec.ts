import { describe, expect, it } from "vitest";

describe("recipes", () => {
  it("starts empty", () => expect([]).toHaveLength(0));
});
