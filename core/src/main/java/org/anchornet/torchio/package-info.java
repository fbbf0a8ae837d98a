/**
 * Reading and writing PyTorch files ({@code torch.save}, zip and legacy formats) without running any of their code:
 * a safe unpickler restricted to an allowlist, tensors and storages, state-dict unwrapping. Depends on nothing else
 * in the project but {@code io}'s atomic file writes.
 */
package org.anchornet.torchio;
