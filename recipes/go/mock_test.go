// A Go project's test against the mock's image with testcontainers-go (docs/ci.md).
// NOT RUN on the machine this project is tested on: it has no Go toolchain (Debian's golang-go is
// 1.19, older than testcontainers-go needs) and no route to the Go module proxy. `go mod tidy`
// then `go test ./...` fetch and pin the modules; MOCK_IMAGE names the image (make image tags
// aihubmix-video-mock:dev; a release is ghcr.io/OWNER/REPO:vX.Y.Z).
package mock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

func TestCreatePollDownload(t *testing.T) {
	ctx := context.Background()
	image := os.Getenv("MOCK_IMAGE")
	if image == "" {
		image = "aihubmix-video-mock:dev"
	}
	mock, err := testcontainers.Run(ctx, image,
		testcontainers.WithExposedPorts("4010/tcp"),
		testcontainers.WithCmd("--job-seconds", "0"),
		testcontainers.WithWaitStrategy(wait.ForLog("aihubmix-mock ready on")),
	)
	testcontainers.CleanupContainer(t, mock)
	if err != nil {
		t.Fatal(err)
	}
	base, err := mock.PortEndpoint(ctx, "4010/tcp", "http")
	if err != nil {
		t.Fatal(err)
	}

	call := func(method, path string, body any) *http.Response {
		var reader io.Reader
		if body != nil {
			data, _ := json.Marshal(body)
			reader = bytes.NewReader(data)
		}
		req, _ := http.NewRequestWithContext(ctx, method, base+path, reader)
		req.Header.Set("Authorization", "Bearer sk-test")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	var video struct{ ID, Status string }
	resp := call("POST", "/v1/videos", map[string]string{"model": "sora-2", "prompt": "a lighthouse at dusk"})
	json.NewDecoder(resp.Body).Decode(&video)
	resp.Body.Close()
	for deadline := time.Now().Add(30 * time.Second); video.Status != "completed"; {
		if video.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("video %s: %s", video.ID, video.Status)
		}
		time.Sleep(200 * time.Millisecond)
		resp = call("GET", "/v1/videos/"+video.ID, nil)
		json.NewDecoder(resp.Body).Decode(&video)
		resp.Body.Close()
	}
	resp = call("GET", "/v1/videos/"+video.ID+"/content", nil)
	mp4, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(mp4) < 8 || string(mp4[4:8]) != "ftyp" {
		t.Fatalf("download: %d, %d bytes", resp.StatusCode, len(mp4))
	}
}
