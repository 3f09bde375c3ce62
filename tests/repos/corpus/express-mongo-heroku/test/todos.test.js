const request = require("supertest");
const { expect } = require("chai");
const app = require("../src/index");

describe("GET /todos", () => {
  it("answers with JSON", async () => {
    const response = await request(app).get("/todos");
    expect(response.type).to.equal("application/json");
  });
});
