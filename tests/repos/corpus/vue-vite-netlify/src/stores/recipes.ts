import { defineStore } from "pinia";
import { createClient } from "@supabase/supabase-js";

const supabase = createClient(import.meta.env.VITE_SUPABASE_URL, import.meta.env.VITE_SUPABASE_KEY);

export const useRecipes = defineStore("recipes", {
  state: () => ({ recipes: [] as { id: number; title: string }[] }),
  actions: {
    async load() {
      const { data } = await supabase.from("recipes").select("id, title");
      this.recipes = data ?? [];
    },
  },
});
