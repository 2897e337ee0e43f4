package dev.checkpointguard.core;

import org.eclipse.jgit.lib.ObjectId;

/**
 * One proposed ref update of a push: {@code ref old → new}. A zero old id is a create, a zero new
 * id a delete (as in git's pre-receive input and JGit's {@code ReceiveCommand}).
 */
public record RefChange(String ref, ObjectId oldId, ObjectId newId) {
  public RefChange {
    if (ref == null || oldId == null || newId == null) {
      throw new IllegalArgumentException("ref, oldId and newId are required");
    }
    if (oldId.equals(ObjectId.zeroId()) && newId.equals(ObjectId.zeroId())) {
      throw new IllegalArgumentException("old and new are both zero for " + ref);
    }
  }

  public static RefChange create(String ref, ObjectId newId) {
    return new RefChange(ref, ObjectId.zeroId(), newId);
  }

  public static RefChange update(String ref, ObjectId oldId, ObjectId newId) {
    return new RefChange(ref, oldId, newId);
  }

  public static RefChange delete(String ref, ObjectId oldId) {
    return new RefChange(ref, oldId, ObjectId.zeroId());
  }

  public boolean isCreate() {
    return oldId.equals(ObjectId.zeroId());
  }

  public boolean isDelete() {
    return newId.equals(ObjectId.zeroId());
  }

  @Override
  public String toString() {
    return oldId.name() + " " + newId.name() + " " + ref;
  }
}
