// What every recipe checks, the way a Node project uses the official `openai` client: create a video,
// poll it until it is done, download the MP4; an unknown id is a 404.
import assert from "node:assert/strict";
import OpenAI from "openai";

export async function createPollDownload(baseURL) {
  const client = new OpenAI({ apiKey: "sk-test", baseURL: `${baseURL}/v1`, maxRetries: 0 });
  const created = await client.videos.create({ model: "sora-2", prompt: "a lighthouse at dusk", seconds: "4" });
  assert.equal(created.object, "video");
  assert.ok(["queued", "in_progress"].includes(created.status), created.status);

  // Poll as a Node project would (the mock's default job takes 5 s; --job-seconds 0 ends it at once).
  let video = created;
  const deadline = Date.now() + 30_000;
  while (video.status !== "completed" && video.status !== "failed") {
    assert.ok(Date.now() < deadline, `still ${video.status} after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    video = await client.videos.retrieve(created.id);
  }
  assert.equal(video.status, "completed", JSON.stringify(video.error));
  assert.equal(video.progress, 100);

  const response = await client.videos.downloadContent(video.id);
  const bytes = Buffer.from(await response.arrayBuffer());
  assert.equal(response.headers.get("content-type"), "video/mp4");
  assert.equal(bytes.subarray(4, 8).toString("latin1"), "ftyp", "not an MP4");

  await assert.rejects(client.videos.retrieve("video_does_not_exist"), (error) => error.status === 404);
  return video;
}
