// A HOME of its own for each host job running at once. GitHub gives each job a machine, so two jobs never share a
// HOME (`npm cache clean` in one matrix leg cannot break `npm ci` in another); the homes here are kept between jobs,
// like a self-hosted runner's, and held under a lock, so neither parallel jobs nor other hangar processes share one.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import lockfile from "proper-lockfile";

/** A home is held with a heartbeat; one whose holder died is free again after this long. */
const homeLockStaleMs = 60_000;

/**
 * What a job keeps of the user's HOME: the tools installed under it and its configuration files, each through the
 * variable its tool reads instead of `~` (pyenv's shims on PATH need PYENV_ROOT; npm's registry and credentials live
 * in ~/.npmrc). Caches and everything else stay the job's own.
 */
const userPlaces: Array<[variable: string, below: string]> = [
  ["PYENV_ROOT", ".pyenv"],
  ["RUSTUP_HOME", ".rustup"],
  ["CARGO_HOME", ".cargo"],
  ["NVM_DIR", ".nvm"],
  ["VOLTA_HOME", ".volta"],
  ["ASDF_DATA_DIR", ".asdf"],
  ["SDKMAN_DIR", ".sdkman"],
  ["npm_config_userconfig", ".npmrc"],
  ["GIT_CONFIG_GLOBAL", ".gitconfig"],
  ["PIP_CONFIG_FILE", ".config/pip/pip.conf"],
  ["DOCKER_CONFIG", ".docker"],
];

/** The user's places that exist, each with the variable that leads a job with another HOME to it. */
export function userPlacesIn(userHome: string): Array<[variable: string, place: string]> {
  return userPlaces
    .map(([variable, below]): [string, string] => [variable, path.join(userHome, below)])
    .filter(([, place]) => existsSync(place));
}

/** Those of `places` whose variable the step's environment does not set already. */
export function userPlacesEnv(
  places: Array<[variable: string, place: string]>,
  env: Record<string, string | undefined>,
): Record<string, string> {
  return Object.fromEntries(places.filter(([variable]) => env[variable] === undefined));
}

export interface HeldHome {
  dir: string;
  release(): Promise<void>;
}

export class RunnerHomes {
  constructor(private readonly dir: string) {}

  /** The first home no one holds (numbered from 0, made when first needed), held until released. */
  async acquire(): Promise<HeldHome> {
    for (let index = 0; ; index++) {
      const dir = path.join(this.dir, String(index));
      await mkdir(dir, { recursive: true });
      try {
        const release = await lockfile.lock(dir, {
          realpath: false,
          stale: homeLockStaleMs,
          retries: 0,
          // A lock lost to a stalled event loop leaves the job running; another job may then share this home.
          onCompromised: () => undefined,
        });
        return { dir, release: () => release().catch(() => undefined) };
      } catch (error) {
        if ((error as { code?: string }).code !== "ELOCKED") throw error;
      }
    }
  }
}
