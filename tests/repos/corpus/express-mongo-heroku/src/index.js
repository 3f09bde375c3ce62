const express = require("express");
const mongoose = require("mongoose");
const helmet = require("helmet");
const todos = require("./routes/todos");

const app = express();
app.use(helmet());
app.use(express.json());
app.use("/todos", todos);

mongoose.connect(process.env.MONGODB_URI).then(() => {
  app.listen(process.env.PORT || 3000);
});

module.exports = app;
