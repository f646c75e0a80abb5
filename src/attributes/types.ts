// Face attributes as analyze() reports them: plain JSON-serialisable data (no imports, so that
// src/types.ts can name them without a cycle).

export const ATTRIBUTE_NAMES = ['age', 'gender', 'emotion', 'liveness'] as const;
export type AttributeName = typeof ATTRIBUTE_NAMES[number];

/** FER-2013's seven classes, in its order; every emotion head reports scores under these names. */
export const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] as const;
export type Emotion = typeof EMOTIONS[number];

export interface AgeAttribute {
  /** Years. */
  value: number;
  model: string;
}
export interface GenderAttribute {
  value: 'female' | 'male';
  /** The probability of that value, 0.5-1. */
  confidence: number;
  model: string;
}
export interface EmotionAttribute {
  value: Emotion;
  confidence: number;
  /** Every class's probability. */
  scores: Record<Emotion, number>;
  model: string;
}
export interface LivenessAttribute {
  value: 'live' | 'spoof';
  /** The model's live score, 0-1; 'live' when it reaches `threshold`. */
  score: number;
  threshold: number;
  /** How far the score is from the threshold, as a fraction of the way to 1 (live) or to 0 (spoof). */
  confidence: number;
  model: string;
}
export interface FaceAttributes {
  age?: AgeAttribute;
  gender?: GenderAttribute;
  emotion?: EmotionAttribute;
  liveness?: LivenessAttribute;
}
