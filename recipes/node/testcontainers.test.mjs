// testcontainers starts the mock's image for this test file and stops it after; the test drives it
// with the official `openai` client.
//
//   MOCK_IMAGE=aihubmix-video-mock:dev npm run test:containers
//
// The container's port 4010 is mapped to a free port of the Docker host. Where containers must share
// the host's network (MOCK_NETWORK=host), the mock listens on a free loopback port instead.
import { after, before, test } from "node:test";
import { createServer } from "node:net";
import { GenericContainer, Wait } from "testcontainers";
import { createPollDownload } from "./flow.mjs";

const image = process.env.MOCK_IMAGE ?? "aihubmix-video-mock:dev";
let container;
let baseURL;

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

before(async () => {
  const mock = new GenericContainer(image).withWaitStrategy(Wait.forLogMessage(/aihubmix-mock ready on/));
  if (process.env.MOCK_NETWORK === "host") {
    const port = await freePort();
    container = await mock
      .withNetworkMode("host")
      .withCommand(["--host", "127.0.0.1", "--port", String(port), "--job-seconds", "0"])
      .start();
    baseURL = `http://127.0.0.1:${port}`;
  } else {
    container = await mock.withExposedPorts(4010).withCommand(["--job-seconds", "0"]).start();
    baseURL = `http://${container.getHost()}:${container.getMappedPort(4010)}`;
  }
});

after(async () => {
  await container?.stop();
});

test("the image under testcontainers, driven by the official openai client", async () => {
  await createPollDownload(baseURL);
});
