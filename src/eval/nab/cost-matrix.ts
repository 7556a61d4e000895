/** Weights of one NAB application profile (config/profiles.json "CostMatrix"). */
export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
  /** Present in NAB's profiles but unused by its scorer. */
  tnWeight?: number;
}
