import { render, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { StreamVideo } from "../components/StreamVideo";

describe("a streaming video", () => {
  it("plays the MP4 where nothing plays HLS (no native HLS, no Media Source Extensions)", async () => {
    const { container } = render(<StreamVideo className="v" hls="/media/a/index.m3u8" mp4="/media/a.mp4" />);
    const video = container.querySelector("video")!;
    expect(video.dataset.stream).toBe("hls");
    await waitFor(() => expect(video.src).toContain("/media/a.mp4"));
    expect(video.dataset.player).toBe("mp4");
  });

  it("hands the playlist to a browser that plays HLS itself", () => {
    const native = vi.spyOn(HTMLMediaElement.prototype, "canPlayType").mockReturnValue("maybe");
    const { container } = render(<StreamVideo className="v" hls="/media/a/index.m3u8" mp4="/media/a.mp4" />);
    expect(container.querySelector("video")!.src).toContain("/media/a/index.m3u8");
    native.mockRestore();
  });

  it("plays the MP4 when there is no playlist", () => {
    const { container } = render(<StreamVideo className="v" mp4="/media/b.mp4" />);
    const video = container.querySelector("video")!;
    expect(video.dataset.stream).toBe("mp4");
    expect(video.src).toContain("/media/b.mp4");
  });
});
