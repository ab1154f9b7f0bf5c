// A Node project's test against the mock, with the official `openai` client: create, poll, download.
// MOCK_URL says where the mock answers (default http://127.0.0.1:4010: `docker run -p 4010:4010 ...`,
// a service container, or the GitHub Action's `url` output).
//
//   MOCK_URL=http://127.0.0.1:4010 npm test
import { test } from "node:test";
import { createPollDownload } from "./flow.mjs";

test("create, poll and download a video with the official openai client", async () => {
  await createPollDownload(process.env.MOCK_URL ?? "http://127.0.0.1:4010");
});
