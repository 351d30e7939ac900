// A video that streams: HLS where there is a playlist (natively where the browser plays HLS,
// Safari; with hls.js over Media Source Extensions elsewhere, Chromium and Firefox), the MP4
// otherwise. A playlist still growing (a preview rendering) plays what is there and follows it.
import { useEffect, useRef } from "react";

interface Props {
  hls?: string | null;
  mp4?: string | null;
  className: string;
  poster?: string;
}

export function StreamVideo({ hls, mp4, className, poster }: Props) {
  const video = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const element = video.current;
    if (!element) return;
    if (!hls || element.canPlayType("application/vnd.apple.mpegurl")) {
      element.src = hls ?? mp4 ?? "";
      element.dataset.player = hls ? "native" : "mp4";
      return;
    }
    let player: { destroy(): void } | undefined;
    let stopped = false;
    // Loaded only when needed (its own chunk of the bundle, nothing from another host).
    void import("hls.js").then(({ default: Hls }) => {
      if (stopped) return;
      if (!Hls.isSupported()) {
        element.src = mp4 ?? "";
        element.dataset.player = "mp4";
        return;
      }
      const hlsPlayer = new Hls();
      hlsPlayer.loadSource(hls);
      hlsPlayer.attachMedia(element);
      element.dataset.player = "hls.js";
      player = hlsPlayer;
    });
    return () => {
      stopped = true;
      player?.destroy();
    };
  }, [hls, mp4]);
  return (
    <video
      ref={video}
      className={className}
      controls
      preload="metadata"
      poster={poster}
      data-stream={hls ? "hls" : "mp4"}
    />
  );
}
