// The lab's deterministic test images (../shared/lab/containerd/README.md, "Test images"): real
// digests and blob sizes, so scenarios read like the lab's own observations.
export const MiB = 1_048_576;

export interface LabBlob {
  digest: string;
  size: number;
  mediaType: string;
}

export interface LabImage {
  /** As kubelet requests it. */
  image: string;
  /** containerd's distribution.source: host without port + repository. */
  source: string;
  manifest: string;
  config: LabBlob;
  layers: LabBlob[];
}

const CONFIG = 'application/vnd.oci.image.config.v1+json';
const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const layer = (digest: string, size: number): LabBlob => ({ digest: `sha256:${digest}`, size, mediaType: LAYER });
const config = (digest: string, size: number): LabBlob => ({ digest: `sha256:${digest}`, size, mediaType: CONFIG });

export const BASE_20M = layer('5efee186663b3147d6c131e966e26d58e75912fb8d796a9cb68d8d60c988e98c', 20975191);
export const ALPHA_30M = layer('f3e06e29bccb72f1c2317d3e04222197cf5966af3bc78a31a9436b50f6718013', 31461751);
export const TINY_META = layer('30fb0898efe874ddb4c797aba08486f41ac2288c280b3638144481aaa450ae7b', 2583);
export const TINY_ALPHA = layer('de73a49cb9bff10e37c295daa0bd236e715cc3f1a8e9f82c1a431bc09cd2dedc', 2583);
export const BETA_10M = layer('b8b4ff0f67686c1992656a0d0a9c39df3bb7d925bd89abcd2b126b6da64f1e13', 10488631);
export const TINY_BETA = layer('9ea223d6f0a56cc66797931a1a9e0d784e71f00e6c0d7b62ac77d7e008727ba2', 2583);
export const BIG_50M = layer('fa34006d7f17ea13423f41c753dfd09de1322fc21e16f24199fabcf26573b1cb', 52434871);
export const BIG_30M = layer('ce62a0d68081a4d926183f53aa954cd116da2beea35d31acbe831cb1159103fc', 31461751);
export const BIG_15M = layer('ee30ba8252f76f7ea11df5ac7af3388cbeafa4c918ca55bb0c691130bb1f055b', 15731911);
export const TINY_BIG = layer('6cf1c3796ec049dc4d4fc8ae57d3b9b9cdebfb4691e276b687fb3246a7c65e44', 2583);

export const ALPHA: LabImage = {
  image: '127.0.0.1:5001/lab/alpha:v1',
  source: '127.0.0.1/lab/alpha',
  manifest: 'sha256:4f190248eb7ea6cf4c264c412ee0f2cf6b9c6aa88f530503456821c913000340',
  config: config('3910a93a293d42d090932780fa765becc2a8f80883301de27cb6516d75ee68ec', 880),
  layers: [BASE_20M, ALPHA_30M, TINY_META, TINY_ALPHA],
};

export const BETA: LabImage = {
  image: '127.0.0.1:5001/lab/beta:v1',
  source: '127.0.0.1/lab/beta',
  manifest: 'sha256:f35cc628d85eb7c6da0856b98910905ca13bb879b9b039ff46cbba4797abb765',
  config: config('79692274b33f00bb9024d5d2ee3e265bbe3c8454f4b75b3d903a626bf3746e39', 877),
  layers: [BASE_20M, BETA_10M, TINY_META, TINY_BETA],
};

export const BIG: LabImage = {
  image: '127.0.0.1:5001/lab/big:v1',
  source: '127.0.0.1/lab/big',
  manifest: 'sha256:777b9c8cbc3fe670de4e78335ce21386ec711fc9e510938a273cf3329b4cfca1',
  config: config('d57e5a52f533398817ab807adbb2e4447d54eaa9f16b4d55848984168146b3f5', 871),
  layers: [BIG_50M, BIG_30M, BIG_15M, TINY_BIG],
};
