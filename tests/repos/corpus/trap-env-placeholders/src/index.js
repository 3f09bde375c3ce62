import cron from "node-cron";

cron.schedule("0 8 * * 1", () => {
  console.log("Sending the weekly digest");
});
