const { Router } = require("express");
const Todo = require("../models/todo");

const router = Router();

router.get("/", async (req, res) => {
  res.json(await Todo.find().sort({ createdAt: -1 }).limit(50));
});

module.exports = router;
