import type { Step } from "../context.js";
import { serverPackageStep } from "./server-package.js";
import { hostsStep } from "./hosts.js";
import { timeStep } from "./time.js";
import { mycnfStep } from "./mycnf.js";
import { mmmConfigStep } from "./mmm-config.js";
import { accountsStep } from "./accounts.js";
import { seedStep } from "./seed.js";
import { replicateMastersStep, replicateSlavesStep } from "./replication.js";
import { runtimeAgentStep, runtimeMonitorStep } from "./runtime.js";

/** The tutorial's order. */
export const BOOTSTRAP_STEPS: readonly Step[] = [
  serverPackageStep,
  hostsStep,
  timeStep,
  mycnfStep,
  accountsStep,
  seedStep,
  replicateMastersStep,
  replicateSlavesStep,
  mmmConfigStep,
  runtimeAgentStep,
  runtimeMonitorStep,
] as Step[];
